/**
 * Typed, synchronous access to one object's SQLite tables. The only module that
 * writes SQL (with sql-views.ts, the admin's read-only views); callers group calls
 * inside `transaction` for atomicity.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import { STATUS, type InvocationRow, type InvocationStatus } from "../engine/invocation-row.js";
import type { LifecycleStore, LimitSlot } from "../engine/lifecycle-store.js";
import type { Delivery, InvokeRequest, Subscriber } from "../engine/messages.js";
import type { Completion, Entry, RunFailures } from "../engine/types.js";
import { JOURNAL_VERSION, decodeEntry, encodeEntry } from "../engine/journal-codec.js";
import { completionColumns, completionFromColumns, decodeJson, encodeJson, fromBlob, toBlob } from "./codec.js";
import type { LazySql } from "./lazy-sql.js";
import { earliestDueSql, openStore, type WakeFacts } from "./wake-facts.js";
import { OutboxRows } from "./outbox-rows.js";
import { LiveInvocations } from "./live-invocations.js";
import { ENTRIES, entryFromRow, toInvocation, type Row } from "./rows.js";
import { runReadOnlyQuery, type RawQueryOutcome } from "./sql-views.js";
import type { QueryOutcome } from "./sql-bounds.js";
import type { InvocationChanges } from "./indexer.js";

export type { InvocationRow, WakeFacts };

/** SQL for the seq of the invocation whose id is the next parameter (NULL when there is none). */
const SEQ_OF = "(SELECT seq FROM invocations WHERE id = ?)";

/** Outbox seqs per statement: a pass reads at most 200 rows (outbox.ts), so one statement in practice; bounded all the same. */
const OUTBOX_CHUNK = 500;
/** The outbox rows whose seq is in the JSON array bound next (json_each: one statement text and one binding for any number). */
const SEQ_IN_JSON = "seq IN (SELECT value FROM json_each(?))";

const APPEND_ENTRY = "INSERT OR REPLACE INTO journal (inv_seq, idx, type, name, done, value, failure, data, appended_at) VALUES ";

/** The lifecycle store (the engine's port) on the object's SQLite, plus what only the object needs (outbox delivery, admin SQL, the index's feed). */
export class Store implements LifecycleStore {
  readonly #sql: LazySql;
  readonly #storage: DurableObjectStorage;
  readonly #woke: WakeFacts;
  #changes: InvocationChanges | undefined;
  /** Told of every invocation row written or deleted (the invocation index's sender); it reads pending entries from this store's mirror. */
  get changes(): InvocationChanges | undefined {
    return this.#changes;
  }
  set changes(changes: InvocationChanges | undefined) {
    this.#changes = changes;
    changes?.readPendingFrom((id) => this.#live.pendingCount(id));
  }
  /** `changes`, for a write to `id`: rolled back, it is told again to read the row (as stored, or gone). */
  #told(id: string): InvocationChanges | undefined {
    if (this.#changes) this.#sql.onRollback(() => this.#changes?.changed(id));
    return this.#changes;
  }

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    // A woken object reads what it holds in one or two statements (wake-facts.ts); a fresh
    // one gets its tables with its first write.
    const opened = openStore(storage);
    this.#sql = opened.sql;
    this.#woke = opened.facts;
    this.#lastSeq = opened.lastSeq;
    this.#outbox = new OutboxRows(this.#sql, !this.#woke.undelivered);
    this.#live = new LiveInvocations((undo) => this.#sql.onRollback(undo));
  }

  transaction<T>(fn: () => T): T {
    return this.#sql.transaction(fn);
  }

  afterCommit(work: () => void): void {
    this.#sql.afterCommit(work);
  }

  /** Runs `undo` if the open transaction rolls back (TransactionHooks.onRollback). */
  onRollback(undo: () => void): void {
    this.#sql.onRollback(undo);
  }

  /** SQLite refuses a string, BLOB or row over its size limit with SQLITE_TOOBIG. */
  tooLarge(error: unknown): boolean {
    return String(error).includes("SQLITE_TOOBIG");
  }

  // ---- invocations ----
  /**
   * The last seq given out: `invocations.seq` is max + 1, counted here from the wake-up's
   * MAX(seq) so an insert needs no RETURNING (nothing else inserts invocations while the
   * instance lives). A seq skipped by a duplicate or a rolled-back insert is not used again
   * by this instance: seq only orders, and a gap is harmless.
   */
  #lastSeq: number;
  /** The seqs and pending entries of the invocations not completed (live-invocations.ts). */
  readonly #live: LiveInvocations;

  /** Inserts a new invocation; returns its seq, or undefined when one with this id exists (a duplicate). */
  insertInvocation(req: InvokeRequest, exclusive: boolean, status: InvocationStatus, nextAt: number | null, now: number): number | undefined {
    const seq = this.#lastSeq + 1;
    const written = this.#sql.exec(
      `INSERT INTO invocations (seq, id, service, handler, key, exclusive, input, headers, idempotency_key, invoked_by, status, next_at, created_at, modified_at, journal_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      seq, req.invocationId, req.target.service, req.target.handler, req.target.key ?? null, exclusive ? 1 : 0,
      toBlob(req.input), JSON.stringify(req.headers), req.idempotencyKey ?? null, req.invokedBy, status, nextAt, now, now, JOURNAL_VERSION,
    ).rowsWritten;
    if (written === 0) return undefined;
    this.#lastSeq = seq;
    this.#live.inserted(req.invocationId, seq);
    const fields = { id: req.invocationId, service: req.target.service, handler: req.target.handler, key: req.target.key ?? null, idempotency_key: req.idempotencyKey ?? null };
    this.#told(req.invocationId)?.changed(req.invocationId, { ...fields, invoked_by: req.invokedBy, status, attempts: 0, next_at: nextAt, created_at: now, modified_at: now }, true);
    return seq;
  }

  invocation(id: string): InvocationRow | undefined {
    const row = this.#sql.exec<Row>("SELECT * FROM invocations WHERE id = ?", id).toArray()[0];
    if (!row) return undefined;
    const invocation = toInvocation(row);
    if (invocation.status !== STATUS.completed) this.#live.read(id, invocation.seq);
    return invocation;
  }

  /**
   * In arrival order; completed ones in expiry order (what the status index gives without a
   * sort). `key` keeps one workflow id's (a workflow shard hosts many).
   */
  invocationsWithStatus(status: InvocationStatus, limit = 1000, key?: string): InvocationRow[] {
    const rows = key === undefined
      ? this.#sql.exec<Row>("SELECT * FROM invocations WHERE status = ? ORDER BY expires_at, seq LIMIT ?", status, limit)
      : this.#sql.exec<Row>("SELECT * FROM invocations WHERE status = ? AND key = ? ORDER BY expires_at, seq LIMIT ?", status, key, limit);
    return rows.toArray().map(toInvocation);
  }

  nextPending(): string | undefined {
    // `expires_at IS NULL` (always true before completion) lets the status index give seq order.
    return this.#sql.exec<{ id: string }>("SELECT id FROM invocations WHERE status = 'pending' AND expires_at IS NULL ORDER BY seq LIMIT 1").toArray()[0]?.id;
  }

  setStatus(id: string, status: InvocationStatus, now: number, nextAt: number | null = null): void {
    this.#sql.exec("UPDATE invocations SET status = ?, next_at = ?, modified_at = ? WHERE id = ?", status, nextAt, now, id);
    this.#told(id)?.changed(id, { status, next_at: nextAt, modified_at: now });
  }

  recordRetry(id: string, status: InvocationStatus, failure: ErrorRecord, nextAt: number | null, now: number): void {
    this.#sql.exec(
      "UPDATE invocations SET status = ?, attempts = attempts + 1, last_failure = ?, next_at = ?, modified_at = ? WHERE id = ?",
      status, JSON.stringify(failure), nextAt, now, id,
    );
    this.#told(id)?.changed(id); // attempts = attempts + 1: read back
  }

  complete(id: string, completion: Completion, now: number, expiresAt: number): void {
    const { value, failure } = completionColumns(completion);
    this.#sql.exec(
      "UPDATE invocations SET status = 'completed', result = ?, failure = ?, next_at = NULL, completed_at = ?, modified_at = ?, expires_at = ? WHERE id = ?",
      value, failure, now, now, expiresAt, id,
    );
    this.#live.ended(id);
    this.#told(id)?.changed(id, { status: "completed", failure: failure === null ? null : JSON.stringify({ message: (completion as { failure: { message: string } }).failure.message }), next_at: null, completed_at: now, modified_at: now, expires_at: expiresAt });
  }

  setCancelRequested(id: string, requested: boolean): void {
    this.#sql.exec("UPDATE invocations SET cancel_requested = ? WHERE id = ?", requested ? 1 : 0, id);
  }

  /** Due retries and scheduled starts. */
  dueInvocations(now: number): InvocationRow[] {
    return this.#sql.exec<Row>("SELECT * FROM invocations WHERE status IN ('backing-off', 'scheduled') AND next_at <= ? ORDER BY seq LIMIT 500", now).toArray().map(toInvocation);
  }

  /** Deletes expired invocations and their journals; returns their ids. */
  deleteExpired(now: number): string[] {
    const rows = this.#sql.exec<{ seq: number; id: string }>("SELECT seq, id FROM invocations WHERE status = 'completed' AND expires_at <= ? LIMIT 500", now).toArray();
    for (const { seq, id } of rows) this.deleteInvocation(seq, id);
    return rows.map((r) => r.id);
  }

  /** Deletes one invocation with its journal, run failures, subscribers and timers (retention's end, an admin's purge). */
  deleteInvocation(seq: number, id: string): void {
    // One synchronous turn: a seq can be reused once its invocation row is gone, so its journal goes with it.
    this.#sql.exec("DELETE FROM journal WHERE inv_seq = ?", seq);
    for (const table of ["run_failures", "subscribers", "timers"] as const) if (this.#sql.has(table)) this.#sql.exec(`DELETE FROM ${table} WHERE inv = ?`, id);
    this.#sql.exec("DELETE FROM invocations WHERE seq = ?", seq);
    this.#live.ended(id);
    this.#told(id)?.deleted(id);
  }

  // ---- journal ----
  // Keyed by the invocation's seq; these methods take the id and find the seq (and the
  // journal's format version) through the id index, in the same statement. Entries go
  // through the engine's codec both ways: this layer never reads their facts.
  journal(inv: string): Entry[] {
    return this.#sql.exec<Row>(`${ENTRIES} WHERE i.id = ? ORDER BY j.idx`, inv).toArray().map(entryFromRow);
  }

  /** How a statement names `inv`'s seq: bound directly when this instance knows it, else looked up by id. */
  #seqOf(inv: string): [sql: string, binding: string | number] {
    const seq = this.#live.seqOf(inv);
    return seq === undefined ? [SEQ_OF, inv] : ["?", seq];
  }

  appendEntry(inv: string, entry: Entry, now: number): void {
    const stored = encodeEntry(entry);
    const { value, failure } = completionColumns(stored.completion);
    const [seqSql, seq] = this.#seqOf(inv);
    this.#sql.exec(
      `${APPEND_ENTRY}(${seqSql}, ?, ?, ?, ?, ?, ?, ?, ?)`,
      seq, stored.index, stored.type, stored.name, stored.done ? 1 : 0, value, failure, stored.data ?? null, now,
    );
    // A pending entry may make the invocation "suspended" (Restate's status): the indexer is told when the mirror's count moves.
    if (entry.done) {
      if (this.#live.entryDone(inv, entry.index)) this.#told(inv)?.entryPending(inv);
      return;
    }
    this.#live.appended(inv, decodeEntry(stored, JOURNAL_VERSION));
    this.#told(inv)?.entryPending(inv);
  }

  /** Completes a pending entry; false when it was already complete or does not exist. */
  completeEntry(inv: string, idx: number, completion: Completion): boolean {
    const { value, failure } = completionColumns(completion);
    const [seqSql, seq] = this.#seqOf(inv);
    const cursor = this.#sql.exec(`UPDATE journal SET done = 1, value = ?, failure = ? WHERE inv_seq = ${seqSql} AND idx = ? AND done = 0`, value, failure, seq, idx);
    this.#live.entryDone(inv, idx);
    if (cursor.rowsWritten > 0) this.#told(inv)?.entryPending(inv);
    return cursor.rowsWritten > 0;
  }

  pendingEntries(inv: string): Entry[] {
    return this.#sql.exec<Row>(`${ENTRIES} WHERE i.id = ? AND j.done = 0 ORDER BY j.idx`, inv).toArray().map(entryFromRow);
  }

  /** One entry, and whether its invocation is still live (not completed). */
  entry(inv: string, idx: number): { entry: Entry; live: boolean } | undefined {
    const pending = this.#live.pendingEntry(inv, idx);
    if (pending) return { entry: pending, live: true };
    const row = this.#sql.exec<Row>(`${ENTRIES} WHERE i.id = ? AND j.idx = ?`, inv, idx).toArray()[0];
    return row ? { entry: entryFromRow(row), live: row.status !== STATUS.completed } : undefined;
  }

  /** When entry `idx` of `inv` was first stored: a step's start, for its span after a restart. */
  entryAppendedAt(inv: string, idx: number): number | undefined {
    const [seqSql, seq] = this.#seqOf(inv);
    return this.#sql.exec<{ at: number }>(`SELECT appended_at AS at FROM journal WHERE inv_seq = ${seqSql} AND idx = ?`, seq, idx).toArray()[0]?.at;
  }

  // ---- state (scope: "" in an object's own Durable Object, the workflow id in a workflow shard) ----
  readState(scope: string, key: string): Uint8Array | null {
    return fromBlob(this.#sql.exec<{ value: ArrayBuffer }>("SELECT value FROM state WHERE scope = ? AND key = ?", scope, key).toArray()[0]?.value);
  }
  stateKeys(scope: string): string[] {
    return this.#sql.exec<{ key: string }>("SELECT key FROM state WHERE scope = ? ORDER BY key", scope).toArray().map((r) => r.key);
  }
  allState(scope: string): { key: string; value: Uint8Array }[] {
    return this.#sql
      .exec<Row>("SELECT key, value FROM state WHERE scope = ? ORDER BY key", scope)
      .toArray()
      .map((r) => ({ key: String(r.key), value: fromBlob(r.value)! }));
  }
  setState(scope: string, key: string, value: Uint8Array): void {
    this.#sql.exec("INSERT OR REPLACE INTO state (scope, key, value) VALUES (?, ?, ?)", scope, key, toBlob(value));
  }
  clearState(scope: string, key: string): void {
    this.#sql.exec("DELETE FROM state WHERE scope = ? AND key = ?", scope, key);
  }
  clearAllState(scope: string): void {
    this.#sql.exec("DELETE FROM state WHERE scope = ?", scope);
  }

  // ---- timers ----
  addTimer(inv: string, idx: number, at: number): void {
    this.#sql.ensure("timers");
    this.#sql.exec("INSERT OR REPLACE INTO timers (inv, idx, at) VALUES (?, ?, ?)", inv, idx, at);
  }
  dueTimers(now: number): { inv: string; idx: number }[] {
    if (!this.#sql.has("timers")) return [];
    return this.#sql.exec<{ inv: string; idx: number }>("SELECT inv, idx FROM timers WHERE at <= ? ORDER BY at LIMIT 500", now).toArray();
  }
  deleteTimer(inv: string, idx: number): void {
    if (this.#sql.has("timers")) this.#sql.exec("DELETE FROM timers WHERE inv = ? AND idx = ?", inv, idx);
  }

  // ---- outbox ----
  /** The outbox's rows in memory while this instance knows them all (outbox-rows.ts): the reads below then need no statement. */
  readonly #outbox: OutboxRows;

  enqueue(owner: string, delivery: Delivery, now: number): void {
    this.#sql.ensure("outbox");
    const payload = encodeJson(delivery);
    const seq = this.#outbox.nextSeq();
    if (seq === undefined) this.#sql.exec("INSERT INTO outbox (owner, payload, next_at) VALUES (?, ?, ?)", owner, payload, now);
    else {
      this.#sql.exec("INSERT INTO outbox (seq, owner, payload, next_at) VALUES (?, ?, ?, ?)", seq, owner, payload, now);
      this.#outbox.added(seq, { owner, payload, attempts: 0, nextAt: now });
    }
  }
  dueOutbox(now: number, limit = 200): { seq: number; owner: string; delivery: Delivery; attempts: number }[] {
    if (this.#outbox.known) return this.#outbox.due(now, limit).map(([seq, r]) => ({ seq, owner: r.owner, delivery: decodeJson<Delivery>(r.payload), attempts: r.attempts }));
    if (!this.#sql.has("outbox")) return [];
    return this.#sql
      .exec<Row>("SELECT seq, owner, payload, attempts FROM outbox WHERE next_at <= ? ORDER BY seq LIMIT ?", now, limit)
      .toArray()
      .map((r) => ({ seq: Number(r.seq), owner: String(r.owner), delivery: decodeJson<Delivery>(String(r.payload)), attempts: Number(r.attempts) }));
  }
  /** Makes every waiting delivery due now (after a restart: redeliver promptly). */
  outboxDueNow(now: number): void {
    if (this.#sql.has("outbox")) this.#sql.exec("UPDATE outbox SET next_at = ? WHERE next_at > ?", now, now);
    this.#outbox.dueNow(now);
  }
  deleteOutbox(seqs: number[]): void {
    this.#outboxChunks(seqs, (json) => this.#sql.exec(`DELETE FROM outbox WHERE ${SEQ_IN_JSON}`, json));
    this.#outbox.deleted(seqs);
  }
  /** Makes deliveries due at `nextAt`; `attempted`: their delivery failed (counted), else they wait behind one that did. */
  delayOutbox(seqs: number[], nextAt: number, attempted: boolean): void {
    this.#outboxChunks(seqs, (json) => this.#sql.exec(`UPDATE outbox SET attempts = attempts + ?, next_at = ? WHERE ${SEQ_IN_JSON}`, attempted ? 1 : 0, nextAt, json));
    this.#outbox.delayed(seqs, nextAt, attempted ? 1 : 0);
  }
  /** `seqs` as JSON arrays of at most OUTBOX_CHUNK: one statement each, one binding (far from the limit of 100). */
  #outboxChunks(seqs: number[], run: (json: string) => void): void {
    if (this.#sql.has("outbox")) for (let i = 0; i < seqs.length; i += OUTBOX_CHUNK) run(JSON.stringify(seqs.slice(i, i + OUTBOX_CHUNK)));
  }
  /** Whether any delivery waits in the outbox (due or postponed). */
  hasOutbox(): boolean {
    if (this.#outbox.known) return this.#outbox.size > 0;
    const any = this.#sql.has("outbox") && this.#sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length > 0;
    if (!any) this.#outbox.foundEmpty();
    return any;
  }

  // ---- run failures ----
  runFailures(inv: string, idx: number): RunFailures {
    if (!this.#sql.has("run_failures")) return { count: 0 };
    const row = this.#sql.exec<{ count: number; first_at: number }>("SELECT count, first_at FROM run_failures WHERE inv = ? AND idx = ?", inv, idx).toArray()[0];
    return row ? { count: Number(row.count), firstFailureAt: Number(row.first_at) } : { count: 0 };
  }
  addRunFailure(inv: string, idx: number, now: number): void {
    this.#sql.ensure("run_failures");
    this.#sql.exec(
      "INSERT INTO run_failures (inv, idx, count, first_at) VALUES (?, ?, 1, ?) ON CONFLICT (inv, idx) DO UPDATE SET count = count + 1",
      inv, idx, now,
    );
  }

  // ---- durable promises (workflows; scope: the workflow id) ----
  promise(scope: string, name: string): Completion | undefined {
    if (!this.#sql.has("promises")) return undefined;
    const row = this.#sql.exec<Row>("SELECT value, failure FROM promises WHERE scope = ? AND name = ?", scope, name).toArray()[0];
    return row ? completionFromColumns(row.value, row.failure) : undefined;
  }
  setPromise(scope: string, name: string, completion: Completion): void {
    this.#sql.ensure("promises");
    const { value, failure } = completionColumns(completion);
    this.#sql.exec("INSERT INTO promises (scope, name, value, failure) VALUES (?, ?, ?, ?)", scope, name, value, failure);
  }
  addPromiseWaiter(scope: string, name: string, inv: string, idx: number): void {
    this.#sql.ensure("promise_waiters");
    this.#sql.exec("INSERT OR IGNORE INTO promise_waiters (scope, name, inv, idx) VALUES (?, ?, ?, ?)", scope, name, inv, idx);
  }
  takePromiseWaiters(scope: string, name: string): { inv: string; idx: number }[] {
    if (!this.#sql.has("promise_waiters")) return [];
    return this.#sql.exec<{ inv: string; idx: number }>("DELETE FROM promise_waiters WHERE scope = ? AND name = ? RETURNING inv, idx", scope, name).toArray();
  }
  /** A workflow id's instance data, removed when its run's retention ends. */
  clearWorkflowData(scope: string): void {
    for (const table of ["promises", "promise_waiters"] as const) if (this.#sql.has(table)) this.#sql.exec(`DELETE FROM ${table} WHERE scope = ?`, scope);
    this.#sql.exec("DELETE FROM state WHERE scope = ?", scope);
  }

  // ---- subscribers (callers waiting for a result) ----
  addSubscriber(inv: string, sub: Subscriber): void {
    this.#sql.ensure("subscribers");
    this.#sql.exec("INSERT OR IGNORE INTO subscribers (inv, owner, sub_inv, sub_idx) VALUES (?, ?, ?, ?)", inv, sub.owner, sub.invocationId, sub.index);
  }
  takeSubscribers(inv: string): Subscriber[] {
    if (!this.#sql.has("subscribers")) return [];
    const rows = this.#sql.exec<Row>("DELETE FROM subscribers WHERE inv = ? RETURNING owner, sub_inv, sub_idx", inv).toArray();
    return rows.map((r) => ({ owner: String(r.owner), invocationId: String(r.sub_inv), index: Number(r.sub_idx) }));
  }

  // ---- admin SQL ----
  /**
   * Runs an admin's query over the Restate-named views and the raw tables, unless
   * it is refused as unbounded (sql-views.ts), inside a transaction that is always
   * rolled back: a query that writes (`WITH … DELETE`) changes nothing.
   */
  readOnlyQuery(query: string, service: string, key: string): QueryOutcome {
    // An object with no tables has no rows, and creating them (even rolled back) writes the file.
    if (!this.#sql.installed) return { columns: [], rows: [], truncated: false };
    return runReadOnlyQuery(this.#storage.sql, (fn) => this.#everyTable(fn), query, service, key);
  }

  /** The same, each row's values in column order (Restate's `POST /query` answers, Arrow). */
  readOnlyRawQuery(query: string, service: string, key: string): RawQueryOutcome {
    if (!this.#sql.installed) return { columns: [], rows: [], truncated: false };
    return runReadOnlyQuery(this.#storage.sql, (fn) => this.#everyTable(fn), query, service, key, true);
  }

  /** The admin's rolled-back transaction, in which a query may name a table not created yet (it finds no rows). */
  #everyTable(fn: () => void): void {
    this.transaction(() => this.#sql.withMissingTables(fn));
  }

  // ---- alarm ----
  /** The earliest time any stored work is due (timers, retries, scheduled, outbox, expiry). */
  earliestDue(): number | undefined {
    const row = this.#sql.exec<{ t: number | null }>(earliestDueSql((t) => this.#sql.has(t))).toArray()[0];
    return row?.t ?? undefined;
  }

  /** What the instance found when it started (wake-facts.ts). */
  wakeFacts(): WakeFacts {
    return this.#woke;
  }

  // ---- limit slots (issue 15): a table only objects of limited targets create ----
  slot(inv: string): LimitSlot | undefined {
    if (!this.#sql.has("limit_slots")) return undefined;
    const row = this.#sql.exec<{ limiter: string; round: number }>("SELECT limiter, round FROM limit_slots WHERE inv = ?", inv).toArray()[0];
    return row ? { limiter: row.limiter, round: Number(row.round) } : undefined;
  }
  saveSlot(inv: string, slot: LimitSlot): void {
    this.#sql.ensure("limit_slots");
    this.#sql.exec("INSERT OR REPLACE INTO limit_slots (inv, limiter, round) VALUES (?, ?, ?)", inv, slot.limiter, slot.round);
  }
  takeSlot(inv: string): LimitSlot | undefined {
    if (!this.#sql.has("limit_slots")) return undefined;
    const row = this.#sql.exec<{ limiter: string; round: number }>("DELETE FROM limit_slots WHERE inv = ? RETURNING limiter, round", inv).toArray()[0];
    return row ? { limiter: row.limiter, round: Number(row.round) } : undefined;
  }
}

