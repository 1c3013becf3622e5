/**
 * The owner's side of the invocation index. The Store tells it what each write
 * did to an invocation's row (indexer fields are the raw `invocations` columns
 * the index carries), so the row is kept in memory and read from SQL only when
 * it is not (after a restart, a retry, a pending journal entry). At the end of each
 * turn that changed rows, they are staged in the isolate's IndexSender
 * (index-sender.ts), which sends them to the index shards with other owners' rows
 * once their turn's commit is done: batched, off the request path, with no event
 * of the object's own.
 *
 * Crashes: a change is committed before it is sent, so a process that dies in
 * between loses only the send. The owner keeps a mark in its meta table, "every
 * change before this time was acknowledged", written with a later change (no commit
 * of its own, at most every MARK_EVERY_MS); a fresh instance resends every row
 * modified since the mark, scanning its table in bounded steps. So a lost send is
 * repaired when the owner next wakes: a change that parks an invocation (suspended,
 * pending, scheduled, backing off, paused) also makes sure the alarm wakes the object
 * within REMINDER_MS, and so does a completion while the index may hold the invocation
 * unfinished (a copy handed to a send, or sent by an earlier instance): lost, it would
 * leave the index saying "suspended" or "running" until the object next woke, perhaps at
 * the end of its retention (an invocation that finishes before any unfinished copy of it
 * left, the common case, costs no alarm: workerd writes every alarm change to its own
 * database, an fsync each). Such a completion also stores its modified time in meta
 * (INDEX_EXPOSED_KEY, in its own commit): a fresh instance resending a completed row modified
 * later knows no unfinished copy of it ever left, so its resend arms no reminder (issue 14:
 * objects revisited after eviction armed one each time, and it fired). A completed row that
 * never reached the index is listed at
 * the latest when its retention ends and both forget it. Deletions (purge, retention) are
 * sent too; one lost in a crash is repaired by the index's own retention.
 * Invariant: never writes outside a commit the object makes anyway.
 */
import { INDEX_COLUMNS, INDEX_ROW_SELECT, modifiedOf, type IndexBatch, type IndexRow } from "./index-row.js";
import { indexSender, type IndexSender } from "./index-sender.js";
import { indexShardOf, indexShardStub } from "./index-shard.js";
import { INDEX_EXPOSED_KEY, INDEX_MARK_KEY, type WakeFacts } from "./wake-facts.js";

export type IndexColumn = (typeof INDEX_COLUMNS)[number];
export type IndexFields = Partial<Record<IndexColumn, string | number | null>>;

/** What a Store tells about its invocation rows (store.ts calls these as it writes). */
export interface InvocationChanges {
  /** `fields`: the columns the write set (all of them for a new row); undefined: read the row. */
  changed(id: string, fields?: IndexFields, whole?: boolean): void;
  /** The pending journal entries of `id` changed (one appended, or one completed). */
  entryPending(id: string): void;
  deleted(id: string): void;
  /** Where the store's count of an invocation's pending entries is read (live-invocations.ts; undefined: unknown, read the row). */
  readPendingFrom(pendingOf: (id: string) => number | undefined): void;
}

export interface IndexerPorts {
  /** This object's clock (its invocations' modified times are on it). */
  now(): number;
  /** Sends a batch to index shard `shard` (from the context the sender's timer runs in); resolves once it is durable there. */
  send(shard: number, batch: IndexBatch): Promise<void>;
  /** The alarm must fire by `at` (so that a fresh instance resends after a crash). */
  alarmBy(at: number): void;
}

/** After a crash, how soon an object with parked invocations wakes to resend. */
export const REMINDER_MS = 2_000;
/** How far the stored mark may lag the acknowledged one (fewer meta writes; a wake resends a little more). */
const MARK_EVERY_MS = 10_000;
/** Rows a recovery step looks at (bounded work per step on a large service shard). */
const RECOVERY_STEP = 5_000;
/** Resent on recovery besides rows newer than the mark: clocks of two instances may differ a little. */
const CLOCK_SLACK_MS = 2_000;
const FIELDS = new Map(INDEX_COLUMNS.map((c, i) => [c, i]));
const STATUS = FIELDS.get("status")!;
/**
 * Statuses an invocation can keep without its object waking soon: a change to one of these
 * makes sure the alarm fires within REMINDER_MS. (A running invocation either finishes in its
 * turn, the common case, which needs no alarm, or executes a `ctx.run` whose I/O already arms
 * the runtime's recovery wake-up.)
 */
const PARKED = new Set(["suspended", "pending", "scheduled", "ready", "backing-off", "paused"]);

export class Indexer implements InvocationChanges {
  /** Rows of unfinished invocations this instance knows in full (finished ones are forgotten once staged). */
  readonly #known = new Map<string, IndexRow>();
  /** Changed in this turn: their rows, or null to read from SQL. */
  readonly #changed = new Map<string, IndexRow | null>();
  readonly #deleted = new Set<string>();
  /** Invocations last staged in a parked status, with the time they were staged (see `reminding`). */
  readonly #parked = new Map<string, number>();
  /**
   * The store's count of pending journal entries (its mirror of the journal, exact for the
   * invocations it follows): Restate's "suspended" is a running row with some, so a call made
   * or answered patches the row instead of reading it back. Undefined: unknown (read).
   * One count, the store's: a second one here could drift from the journal (issue leftovers-1).
   */
  #pendingOf: (id: string) => number | undefined = () => undefined;
  /**
   * What the index may hold of each unfinished invocation this instance staged: "none" (born
   * here, never staged), "pending" (every copy staged here still waits in the sender, where
   * the next one replaces it), "exposed" (a copy was handed to a send, or an earlier instance
   * may have sent one). Absent: a row this instance never staged, known to an earlier one.
   */
  readonly #copies = new Map<string, "none" | "pending" | "exposed">();
  #queued = false;
  #storedMark: number | undefined;
  /**
   * Stored: the latest modified time of a completion staged over a copy the index may hold
   * unfinished (written in that completion's commit). A fresh instance resending a completed row
   * modified later knows that no unfinished copy of it ever left, so it needs no reminder.
   */
  #exposedAt: number | undefined;
  /** A fresh instance's resend: the next seq to look at, and rows modified since when. */
  #recovery: { fromSeq: number; since: number } | undefined;

  constructor(
    private readonly sql: SqlStorage,
    /** This object (its Durable Object id) and the index shard it sends to. */
    private readonly owner: { key: string; shard: number },
    private readonly sender: IndexSender,
    private readonly ports: IndexerPorts,
    /** From the object's wake facts: its stored mark, and whether it has invocations at all. */
    woke: Pick<WakeFacts, "indexMark" | "indexExposed" | "anyInvocations">,
  ) {
    this.#storedMark = woke.indexMark;
    this.#exposedAt = woke.indexExposed;
    if (!woke.anyInvocations) return;
    // No mark: rows written before the index existed (or never acknowledged) are all sent.
    this.#recovery = { fromSeq: 0, since: (this.#storedMark ?? 0) - CLOCK_SLACK_MS };
    setTimeout(() => this.#recoverStep(), 0);
  }

  readPendingFrom(pendingOf: (id: string) => number | undefined): void {
    this.#pendingOf = pendingOf;
  }

  changed(id: string, fields?: IndexFields, whole = false): void {
    this.#deleted.delete(id);
    if (whole && !this.#copies.has(id)) this.#copies.set(id, "none");
    if (fields?.status === "running") {
      // A new row has no entries yet; running with pending entries reads "suspended"; an unknown count, from SQL.
      const pending = whole ? 0 : this.#pendingOf(id);
      if (pending === undefined) fields = undefined;
      else if (pending > 0) fields = { ...fields, status: "suspended" };
    }
    let row = this.#changed.get(id);
    if (fields && (whole || row || this.#known.has(id))) {
      // This turn's row is ours to patch; a known row is copied once per turn.
      if (whole) row = new Array(INDEX_COLUMNS.length).fill(null);
      else if (!row) row = [...this.#known.get(id)!];
      for (const column in fields) row![FIELDS.get(column as IndexColumn)!] = fields[column as IndexColumn] ?? null;
      this.#changed.set(id, row!);
    } else {
      this.#changed.set(id, null);
    }
    this.#endOfTurn();
  }

  entryPending(id: string): void {
    const count = this.#pendingOf(id);
    if (count === undefined) return this.changed(id);
    const staged = this.#changed.get(id);
    if (staged === null) return; // read back at the end of this turn anyway
    const status = (staged ?? this.#known.get(id))?.[STATUS];
    if (status === undefined) return this.changed(id);
    // Only a running row reads as suspended while it waits; any other status is unchanged.
    if (status === (count > 0 ? "running" : "suspended")) this.changed(id, { status: "running" });
  }

  deleted(id: string): void {
    this.#changed.delete(id);
    this.#known.delete(id);
    this.#copies.delete(id);
    this.#deleted.add(id);
    this.#endOfTurn();
  }

  /** Rides on the commit the caller is making: the acknowledged mark, when it moved far enough. */
  #storeMark(): void {
    const acked = this.sender.acked(this.owner.key);
    if (acked === undefined || (this.#storedMark !== undefined && acked - this.#storedMark < MARK_EVERY_MS)) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", INDEX_MARK_KEY, String(acked));
    this.#storedMark = acked;
  }

  /** Rides on the commit of a completion over a copy the index may hold unfinished (rare: it parked first). */
  #storeExposed(modified: number): void {
    if (this.#exposedAt !== undefined && modified <= this.#exposedAt) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", INDEX_EXPOSED_KEY, String(modified));
    this.#exposedAt = modified;
  }

  #endOfTurn(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => this.#stage());
  }

  /**
   * The turn's changes (still inside its commit): rows built, the mark stored if it moved,
   * a reminder if some invocation stays unfinished; staged in the sender.
   */
  #stage(): void {
    this.#queued = false;
    this.#storeMark();
    const cut = this.ports.now();
    const rows: IndexRow[] = [];
    const unread: string[] = [];
    for (const [id, row] of this.#changed) row ? rows.push(row) : unread.push(id);
    const deleted = [...this.#deleted];
    if (unread.length) {
      const read = this.#read(unread);
      const found = new Set(read.map((r) => r[0]));
      for (const id of unread) if (!found.has(id)) deleted.push(id);
      rows.push(...read);
    }
    this.#changed.clear();
    this.#deleted.clear();
    let parked = false;
    for (const id of deleted) this.#parked.delete(id), this.#copies.delete(id);
    for (const row of rows) {
      const id = String(row[0]);
      const exposed = this.#exposed(id);
      const completed = row[STATUS] === "completed";
      if (completed) this.#known.delete(id), this.#copies.delete(id);
      else this.#known.set(id, row), this.#copies.set(id, exposed ? "exposed" : "pending");
      if (completed && exposed) this.#storeExposed(modifiedOf(row));
      // A completion superseding an unfinished copy the index may hold is reminded like a parked row.
      const isParked = PARKED.has(row[STATUS] as string) || (completed && exposed);
      if (isParked) this.#parked.set(id, cut);
      else this.#parked.delete(id);
      parked ||= isParked;
    }
    if (parked) this.ports.alarmBy(cut + REMINDER_MS);
    this.sender.push(this.owner.shard, { rows, deleted }, this.#recovery ? undefined : { owner: this.owner.key, cut });
    this.sender.wake(this.#send);
  }

  readonly #send = (shard: number, batch: IndexBatch) => this.ports.send(shard, batch);

  /** Whether the index may hold an unfinished copy of `id` (read before its next change is staged). */
  #exposed(id: string): boolean {
    const copies = this.#copies.get(id);
    return copies === undefined || copies === "exposed" || (copies === "pending" && !this.sender.holds(this.owner.shard, id));
  }

  /**
   * Whether some invocation is parked in a change the index has not acknowledged: a crash now
   * would leave it without its row until the object wakes, so the reminder must stay armed.
   * So must a completion over an unfinished copy the index may hold (#exposed); a row leaving
   * the parked state otherwise in this turn (still to be staged) needs none.
   */
  get reminding(): boolean {
    const acked = this.sender.acked(this.owner.key) ?? -Infinity;
    for (const [id, cut] of this.#parked) {
      if (cut <= acked) {
        this.#parked.delete(id);
        continue;
      }
      if (this.#deleted.has(id)) continue;
      const next = this.#changed.get(id);
      if (next && !PARKED.has(next[STATUS] as string)) continue;
      return true;
    }
    // A completion of this turn, still to be staged, over an unfinished copy the index may hold.
    for (const [id, row] of this.#changed) if ((row === null || row[STATUS] === "completed") && this.#exposed(id)) return true;
    return false;
  }

  /** A request starts in this owner, before any write of it: sends rows held back by a late timer (IndexSender.kick). */
  requestStarted(): void {
    this.sender.kick(this.#send);
  }

  /** One bounded step of a fresh instance's resend: rows modified since the mark. */
  #recoverStep(): void {
    const recovery = this.#recovery;
    if (!recovery) return;
    const to = recovery.fromSeq + RECOVERY_STEP;
    const rows = this.sql.exec<{ id: string; status: string; modified_at: number }>("SELECT id, status, modified_at FROM invocations WHERE seq >= ? AND seq < ? AND modified_at >= ?", recovery.fromSeq, to, recovery.since).toArray();
    const more = this.sql.exec<{ more: number }>("SELECT EXISTS (SELECT 1 FROM invocations WHERE seq >= ?) AS more", to).one().more === 1;
    this.#recovery = more ? { ...recovery, fromSeq: to } : undefined;
    for (const { id, status, modified_at } of rows) {
      if (this.#changed.has(id) || this.#deleted.has(id)) continue;
      this.#changed.set(id, null);
      // Completed after the last exposed completion: no unfinished copy of it left (no reminder for its resend).
      if (status === "completed" && !this.#copies.has(id) && (this.#exposedAt === undefined || modified_at > this.#exposedAt)) this.#copies.set(id, "none");
    }
    this.#endOfTurn();
    if (more) setTimeout(() => this.#recoverStep(), 0);
  }

  /** The current index rows of these invocations, from SQL (ids that no longer exist are absent). */
  #read(ids: string[]): IndexRow[] {
    if (ids.length === 0) return [];
    return [...this.sql.exec(`${INDEX_ROW_SELECT} FROM invocations WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids)).raw()] as IndexRow[];
  }
}

/**
 * The Indexer of an owner object (object.ts wires it to its Store). With `hold` (only the
 * test fixtures set it: ObjectOptions.indexHeld) sends never leave, as if the process died
 * after each commit.
 */
export function ownerIndexer(
  ctx: DurableObjectState,
  namespace: DurableObjectNamespace,
  shards: number,
  clock: Pick<IndexerPorts, "now" | "alarmBy">,
  woke: Pick<WakeFacts, "indexMark" | "indexExposed" | "anyInvocations">,
  hold: boolean,
): Indexer {
  const send = (shard: number, batch: IndexBatch) => (hold ? new Promise<void>(() => {}) : (indexShardStub(namespace, shard).index({ kind: "record", batch }) as Promise<void>));
  const key = ctx.id.toString();
  const ports = { ...clock, send };
  return new Indexer(ctx.storage.sql, { key, shard: indexShardOf(key, shards) }, indexSender, ports, woke);
}
