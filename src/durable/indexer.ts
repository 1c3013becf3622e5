/**
 * The owner's side of the invocation index: remembers which of this object's
 * invocations changed, and after the commit that changed them hands their
 * current rows to the isolate's IndexSender (index-sender.ts), which sends them
 * to this object's index shard with other owners' rows: batched and off the
 * request path (at most one row read per FLUSH_MS, however many changes).
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
import { INDEX_ROW_SELECT, type IndexBatch, type IndexRow } from "./index-row.js";
import { indexSender, type IndexSender } from "./index-sender.js";
import { indexShardOf, indexShardStub } from "./index-shard.js";
import { INDEX_MARK_KEY } from "./store.js";

/** What a Store tells about its invocation rows (store.ts calls these as it writes). */
export interface InvocationChanges {
  changed(id: string, status: string): void;
  deleted(id: string): void;
}

export interface IndexerPorts {
  /** This object's clock (its invocations' modified times are on it). */
  now(): number;
  /** Sends a batch to index shard `shard` from this object's context; resolves once it is durable there. */
  send(shard: number, batch: IndexBatch): Promise<void>;
  /** The alarm must fire by `at` (so that a fresh instance resends after a crash). */
  alarmBy(at: number): void;
}

/** Longest a change waits before its rows are read and handed to the sender. */
export const FLUSH_MS = 100;
/** After a crash, how soon an object with unfinished invocations wakes to resend. */
export const REMINDER_MS = 2_000;
/** Most rows per read (more are read right after). */
const MAX_BATCH = 500;
/** Rows a recovery step looks at (bounded work per step on a large service shard). */
const RECOVERY_STEP = 5_000;
/** Resent on recovery besides rows newer than the mark: clocks of two instances may differ a little. */
const CLOCK_SLACK_MS = 10_000;

export class Indexer implements InvocationChanges {
  /** Changed since the last read. */
  readonly #changed = new Set<string>();
  /** Of those, the ones left unfinished by their last change. */
  readonly #unfinished = new Set<string>();
  readonly #deleted = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reminding = false;
  #storedMark: number | undefined;
  /** A fresh instance's resend: the next seq to look at, and rows modified since when. */
  #recovery: { fromSeq: number; since: number } | undefined;

  constructor(
    private readonly sql: SqlStorage,
    /** This object (its Durable Object id) and the index shard it sends to. */
    private readonly owner: { key: string; shard: number },
    private readonly sender: IndexSender,
    private readonly ports: IndexerPorts,
    /** From the object's wake facts: its stored mark, and whether it has invocations at all. */
    woke: { indexMark: number | undefined; anyInvocations: boolean },
  ) {
    this.#storedMark = woke.indexMark;
    if (!woke.anyInvocations) return;
    // No mark: rows written before the index existed (or never acknowledged) are all sent.
    this.#recovery = { fromSeq: 0, since: (this.#storedMark ?? 0) - CLOCK_SLACK_MS };
    this.#schedule(FLUSH_MS);
  }

  changed(id: string, status: string): void {
    this.#deleted.delete(id);
    this.#changed.add(id);
    if (status === "completed") this.#unfinished.delete(id);
    else this.#unfinished.add(id);
    this.#storeMark();
    this.#schedule(FLUSH_MS);
    this.#remindSoon();
  }

  deleted(id: string): void {
    this.#changed.delete(id);
    this.#unfinished.delete(id);
    this.#deleted.add(id);
    this.#storeMark();
    this.#schedule(FLUSH_MS);
  }

  /** Rides on the commit the caller is making: the acknowledged mark, if it moved. */
  #storeMark(): void {
    const acked = this.sender.acked(this.owner.key);
    if (acked === undefined || acked === this.#storedMark) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", INDEX_MARK_KEY, String(acked));
    this.#storedMark = acked;
  }

  /** At the end of the turn (still inside its commit): a reminder if an invocation stays unfinished. */
  #remindSoon(): void {
    if (this.#reminding) return;
    this.#reminding = true;
    queueMicrotask(() => {
      this.#reminding = false;
      if (this.#unfinished.size > 0) this.ports.alarmBy(this.ports.now() + REMINDER_MS);
    });
  }

  #schedule(ms: number): void {
    this.#timer ??= setTimeout(() => this.#flush(), ms);
  }

  #flush(): void {
    this.#timer = undefined;
    const cut = this.ports.now();
    this.#recoverStep();
    const ids = take(this.#changed, MAX_BATCH);
    for (const id of ids) this.#unfinished.delete(id);
    const deleted = take(this.#deleted, MAX_BATCH);
    if (ids.length || deleted.length || this.#recovery === undefined) {
      // Every change made before `cut` is in this batch unless some were left for the next one.
      const complete = !this.#recovery && this.#changed.size === 0 && this.#deleted.size === 0;
      const rows = this.#rows(ids);
      const found = new Set(rows.map((r) => r[0]));
      for (const id of ids) if (!found.has(id)) deleted.push(id);
      this.sender.push(this.owner.shard, { rows, deleted }, complete ? { owner: this.owner.key, cut } : undefined);
    }
    const again = this.sender.kick((shard, batch) => this.ports.send(shard, batch));
    if (this.#changed.size || this.#deleted.size || this.#recovery) this.#schedule(0);
    else if (again !== undefined) this.#schedule(again);
  }

  /** One bounded step of a fresh instance's resend: rows modified since the mark. */
  #recoverStep(): void {
    const recovery = this.#recovery;
    if (!recovery) return;
    const to = recovery.fromSeq + RECOVERY_STEP;
    const rows = this.sql.exec<{ id: string }>("SELECT id FROM invocations WHERE seq >= ? AND seq < ? AND modified_at >= ?", recovery.fromSeq, to, recovery.since).toArray();
    for (const { id } of rows) if (!this.#deleted.has(id) && !this.#changed.has(id)) this.#changed.add(id);
    const more = this.sql.exec<{ more: number }>("SELECT EXISTS (SELECT 1 FROM invocations WHERE seq >= ?) AS more", to).one().more === 1;
    this.#recovery = more ? { ...recovery, fromSeq: to } : undefined;
  }

  /** The current index rows of these invocations (ids that no longer exist are absent). */
  #rows(ids: string[]): IndexRow[] {
    if (ids.length === 0) return [];
    return [...this.sql.exec(`${INDEX_ROW_SELECT} FROM invocations WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids)).raw()] as IndexRow[];
  }
}

/**
 * The Indexer of an owner object (object.ts wires it to its Store). `hold` is the test hook
 * RESOLUTE_TEST_HOLD_INDEX: sends never leave, as if the process died after each commit.
 */
export function ownerIndexer(
  ctx: DurableObjectState,
  namespace: DurableObjectNamespace,
  shards: number,
  clock: Pick<IndexerPorts, "now" | "alarmBy">,
  woke: { indexMark: number | undefined; anyInvocations: boolean },
  hold: boolean,
): Indexer {
  const send = (shard: number, batch: IndexBatch) => (hold ? new Promise<void>(() => {}) : (indexShardStub(namespace, shard).index({ kind: "record", batch }) as Promise<void>));
  const key = ctx.id.toString();
  return new Indexer(ctx.storage.sql, { key, shard: indexShardOf(key, shards) }, indexSender, { ...clock, send }, woke);
}

function take(set: Set<string>, max: number): string[] {
  const out: string[] = [];
  for (const id of set.keys()) {
    if (out.length === max) break;
    out.push(id);
    set.delete(id);
  }
  return out;
}
