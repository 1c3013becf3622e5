/**
 * The owner's side of the invocation index: remembers which of this object's
 * invocations changed, and after the commit that changed them sends their
 * current rows to the object's index shard, batched (one RPC per FLUSH_MS at
 * most, however many invocations changed) and off the request path.
 *
 * Crashes: a change is committed before it is sent, so a process that dies in
 * between loses only the send. The owner keeps a mark in its meta table, "every
 * change before this time was acknowledged", written in the same commit as a later
 * change (no commit of its own); a fresh instance resends every row modified since
 * the mark, scanning its table in bounded steps. So a lost send is repaired when the
 * owner next wakes: a change that leaves an invocation unfinished also makes sure the
 * alarm wakes the object within REMINDER_MS (an invocation that finishes in its turn,
 * the common case, costs no alarm); a completed row's next wake is at the latest the
 * end of its retention, when both forget it. Deletions (purge, retention) are sent
 * too; one lost in a crash is repaired by the index's own retention.
 * Invariant: never writes outside a commit the object makes anyway.
 */
import { INDEX_ROW_SELECT, SYS_INVOCATION_NAMES, type IndexBatch, type IndexRow } from "./index-row.js";

/** What a Store tells about its invocation rows (store.ts calls these as it writes). */
export interface InvocationChanges {
  changed(id: string, status: string): void;
  deleted(id: string): void;
}

export interface IndexerPorts {
  now(): number;
  /** Sends a batch to this object's index shard; resolves once the shard committed it. */
  send(batch: IndexBatch): Promise<void>;
  /** The alarm must fire by `at` (so that a fresh instance resends after a crash). */
  alarmBy(at: number): void;
}

/** Longest a change waits before its batch is sent (the index lag without crashes). */
export const FLUSH_MS = 200;
/** After a crash, how soon an object with unfinished invocations wakes to resend. */
export const REMINDER_MS = 2_000;
/** Most rows per batch (more are sent in the next one, right after). */
const MAX_BATCH = 500;
/** Rows a recovery step looks at (bounded work per step on a large service shard). */
const RECOVERY_STEP = 5_000;
/** Resent on recovery besides rows newer than the mark: clocks of two instances may differ a little. */
const CLOCK_SLACK_MS = 10_000;
const RETRY_MS = 2_000;
const MARK_KEY = "index_mark";

export class Indexer implements InvocationChanges {
  /** Changed since the last send, with the status written. */
  readonly #changed = new Map<string, string>();
  #reminding = false;
  readonly #deleted = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending = false;
  /** All changes before this time are acknowledged (in memory) / stored in meta. */
  #acked: number | undefined;
  #storedMark: number | undefined;
  /** A fresh instance's resend: the next seq to look at, and rows modified since when. */
  #recovery: { fromSeq: number; since: number } | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly ports: IndexerPorts,
  ) {
    const mark = sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", MARK_KEY).toArray()[0]?.v;
    this.#storedMark = mark === undefined ? undefined : Number(mark);
    // No mark: rows written before the index existed (or never acknowledged) are all sent.
    this.#recovery = { fromSeq: 0, since: (this.#storedMark ?? 0) - CLOCK_SLACK_MS };
    this.#schedule(FLUSH_MS);
  }

  changed(id: string, status: string): void {
    this.#deleted.delete(id);
    this.#changed.set(id, status);
    this.#storeMark();
    this.#schedule(FLUSH_MS);
    this.#remindSoon();
  }

  /** At the end of the turn (still inside its commit): a reminder if an invocation stays unfinished. */
  #remindSoon(): void {
    if (this.#reminding) return;
    this.#reminding = true;
    queueMicrotask(() => {
      this.#reminding = false;
      for (const status of this.#changed.values()) if (status !== "completed") return this.ports.alarmBy(this.ports.now() + REMINDER_MS);
    });
  }

  deleted(id: string): void {
    this.#changed.delete(id);
    this.#deleted.add(id);
    this.#storeMark();
    this.#schedule(FLUSH_MS);
  }

  /** Rides on the commit the caller is making: the acknowledged mark, if it moved. */
  #storeMark(): void {
    if (this.#acked === undefined || this.#acked === this.#storedMark) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", MARK_KEY, String(this.#acked));
    this.#storedMark = this.#acked;
  }

  #schedule(ms: number): void {
    this.#timer ??= setTimeout(() => void this.#flush(), ms);
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    if (this.#sending) return;
    const cut = this.ports.now();
    this.#recoverStep();
    const ids = take(this.#changed, MAX_BATCH);
    const deleted = take(this.#deleted, MAX_BATCH);
    if (ids.length === 0 && deleted.length === 0 && !this.#recovery) return;
    // Every change made before `cut` is in this batch unless some were left for the next one.
    const complete = !this.#recovery && this.#changed.size === 0 && this.#deleted.size === 0;
    const batch = { rows: this.#rows(ids), deleted };
    const found = new Set(batch.rows.map((r) => r.values[0]));
    for (const id of ids) if (!found.has(id)) batch.deleted.push(id);
    this.#sending = true;
    try {
      if (batch.rows.length || batch.deleted.length) await this.ports.send(batch);
      // Changes made while sending are newer than `cut` and still in the sets.
      if (complete) this.#acked = cut;
    } catch (error) {
      for (const id of ids) if (!this.#deleted.has(id) && !this.#changed.has(id)) this.#changed.set(id, "");
      for (const id of deleted) if (!this.#changed.has(id)) this.#deleted.add(id);
      console.warn(JSON.stringify({ level: "warn", message: `invocation index: sending ${ids.length + deleted.length} rows failed, retrying in ${RETRY_MS} ms`, error: String(error) }));
      this.#sending = false;
      return this.#schedule(RETRY_MS);
    }
    this.#sending = false;
    if (this.#changed.size || this.#deleted.size || this.#recovery) this.#schedule(0);
  }

  /** One bounded step of a fresh instance's resend: rows modified since the mark. */
  #recoverStep(): void {
    const recovery = this.#recovery;
    if (!recovery) return;
    const to = recovery.fromSeq + RECOVERY_STEP;
    const rows = this.sql.exec<{ id: string }>("SELECT id FROM invocations WHERE seq >= ? AND seq < ? AND modified_at >= ?", recovery.fromSeq, to, recovery.since).toArray();
    for (const { id } of rows) if (!this.#deleted.has(id) && !this.#changed.has(id)) this.#changed.set(id, "");
    const more = this.sql.exec<{ more: number }>("SELECT EXISTS (SELECT 1 FROM invocations WHERE seq >= ?) AS more", to).one().more === 1;
    this.#recovery = more ? { ...recovery, fromSeq: to } : undefined;
  }

  /** The current index rows of these invocations (ids that no longer exist are absent). */
  #rows(ids: string[]): IndexRow[] {
    if (ids.length === 0) return [];
    const cursor = this.sql.exec(`${INDEX_ROW_SELECT} FROM invocations WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids));
    const rows: IndexRow[] = [];
    for (const raw of cursor.raw()) {
      const values = raw.slice(0, SYS_INVOCATION_NAMES.length) as (string | number | null)[];
      rows.push({ values, modifiedMs: Number(raw[SYS_INVOCATION_NAMES.length]), expiresMs: (raw[SYS_INVOCATION_NAMES.length + 1] as number | null) ?? null });
    }
    return rows;
  }
}

function take(set: Set<string> | Map<string, string>, max: number): string[] {
  const out: string[] = [];
  for (const id of set.keys()) {
    if (out.length === max) break;
    out.push(id);
    set.delete(id);
  }
  return out;
}
