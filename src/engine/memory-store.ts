/**
 * The lifecycle store in memory: one owner's invocations, journals, timers,
 * subscribers, outbox, state and promises as plain maps, with the semantics of
 * the Durable Object's SQLite tables (orders, limits, what a delete takes along).
 * What goes in is copied, and journals are kept as stored entries through the
 * journal codec, so nothing the engine holds is shared with what is stored — as
 * with SQLite. No rules here (see lifecycle-store.ts). Pure.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import { STATUS, newRow, type InvocationRow, type InvocationStatus } from "./invocation-row.js";
import { JOURNAL_VERSION, decodeEntry, encodeEntry, type StoredEntry } from "./journal-codec.js";
import type { LifecycleStore, LimitSlot } from "./lifecycle-store.js";
import type { Delivery, InvokeRequest, Subscriber } from "./messages.js";
import type { Completion, Entry, RunFailures } from "./types.js";
import { TransactionHooks } from "./transaction-hooks.js";

/** As the SQLite store's queries: at most this many rows per due or expiry sweep. */
const SWEEP_LIMIT = 500;

const slot = (inv: string, idx: number): string => `${inv}#${idx}`;

export class MemoryStore implements LifecycleStore {
  readonly #invocations = new Map<string, InvocationRow>();
  readonly #journals = new Map<string, StoredEntry[]>();
  readonly #subscribers = new Map<string, Subscriber[]>();
  readonly #outbox: { owner: string; delivery: Delivery }[] = [];
  readonly #timers = new Map<string, { inv: string; idx: number; at: number }>();
  readonly #runFailures = new Map<string, RunFailures>();
  readonly #state = new Map<string, Map<string, Uint8Array>>();
  readonly #promises = new Map<string, Map<string, Completion>>();
  readonly #promiseWaiters = new Map<string, { inv: string; idx: number }[]>();
  readonly #slots = new Map<string, LimitSlot>();
  #seq = 0;

  /** Maps write at once and never roll back; the hooks still keep after-commit work to a transaction that returns. */
  readonly #hooks = new TransactionHooks();

  transaction<T>(fn: () => T): T {
    return this.#hooks.run(fn);
  }

  afterCommit(work: () => void): void {
    this.#hooks.afterCommit(work);
  }

  /** Maps keep values of any size. */
  tooLarge(_error: unknown): boolean {
    return false;
  }

  // ---- invocations ----

  insertInvocation(req: InvokeRequest, exclusive: boolean, status: InvocationStatus, nextAt: number | null, now: number): number | undefined {
    if (this.#invocations.has(req.invocationId)) return undefined;
    const seq = ++this.#seq;
    this.#invocations.set(req.invocationId, structuredClone(newRow(seq, req, exclusive, status, nextAt, now)));
    this.#journals.set(req.invocationId, []);
    return seq;
  }

  invocation(id: string): InvocationRow | undefined {
    const row = this.#invocations.get(id);
    return row && structuredClone(row);
  }

  /** Every invocation, in arrival order. */
  all(): InvocationRow[] {
    return [...this.#invocations.values()].map((row) => structuredClone(row));
  }

  invocationsWithStatus(status: InvocationStatus, limit = 1000, key?: string): InvocationRow[] {
    const rows = [...this.#invocations.values()].filter((r) => r.status === status && (key === undefined || r.key === key));
    // As the status index orders them: by expiry (only completed rows have one), then arrival.
    rows.sort((a, b) => (a.expiresAt ?? -Infinity) - (b.expiresAt ?? -Infinity) || a.seq - b.seq);
    return rows.slice(0, limit).map((row) => structuredClone(row));
  }

  nextPending(): string | undefined {
    for (const row of this.#invocations.values()) if (row.status === STATUS.pending) return row.id;
    return undefined;
  }

  dueInvocations(now: number): InvocationRow[] {
    const due = [...this.#invocations.values()].filter((r) => (r.status === STATUS.backingOff || r.status === STATUS.scheduled) && r.nextAt !== null && r.nextAt <= now);
    return due.slice(0, SWEEP_LIMIT).map((row) => structuredClone(row));
  }

  setStatus(id: string, status: InvocationStatus, now: number, nextAt: number | null = null): void {
    this.#update(id, { status, nextAt, modifiedAt: now });
  }

  recordRetry(id: string, status: InvocationStatus, failure: ErrorRecord, nextAt: number | null, now: number): void {
    const row = this.#invocations.get(id);
    if (row) this.#update(id, { status, attempts: row.attempts + 1, lastFailure: structuredClone(failure), nextAt, modifiedAt: now });
  }

  complete(id: string, completion: Completion, now: number, expiresAt: number): void {
    this.#update(id, { status: STATUS.completed, completion: structuredClone(completion), nextAt: null, completedAt: now, modifiedAt: now, expiresAt });
  }

  setCancelRequested(id: string, requested: boolean): void {
    this.#update(id, { cancelRequested: requested });
  }

  #update(id: string, changes: Partial<InvocationRow>): void {
    const row = this.#invocations.get(id);
    if (row) Object.assign(row, changes);
  }

  deleteExpired(now: number): string[] {
    const expired = [...this.#invocations.values()].filter((r) => r.status === STATUS.completed && r.expiresAt !== null && r.expiresAt <= now).slice(0, SWEEP_LIMIT);
    for (const row of expired) this.deleteInvocation(row.seq, row.id);
    return expired.map((row) => row.id);
  }

  deleteInvocation(_seq: number, id: string): void {
    this.#invocations.delete(id);
    this.#journals.delete(id);
    this.#subscribers.delete(id);
    for (const map of [this.#runFailures, this.#timers]) for (const key of [...map.keys()]) if (key.startsWith(`${id}#`)) map.delete(key);
  }

  earliestDue(): number | undefined {
    let earliest = Infinity;
    for (const timer of this.#timers.values()) earliest = Math.min(earliest, timer.at);
    for (const row of this.#invocations.values()) {
      if ((row.status === STATUS.backingOff || row.status === STATUS.scheduled) && row.nextAt !== null) earliest = Math.min(earliest, row.nextAt);
      if (row.status === STATUS.completed && row.expiresAt !== null) earliest = Math.min(earliest, row.expiresAt);
    }
    return earliest === Infinity ? undefined : earliest;
  }

  // ---- journal ----

  journal(inv: string): Entry[] {
    return this.storedJournal(inv).map((stored) => decodeEntry(stored, JOURNAL_VERSION));
  }

  /** The journal as stored (the codec's form), in index order. */
  storedJournal(inv: string): StoredEntry[] {
    return (this.#journals.get(inv) ?? []).filter(Boolean).map((stored) => structuredClone(stored));
  }

  appendEntry(inv: string, entry: Entry, _now: number): void {
    const journal = this.#journals.get(inv);
    if (!journal) throw new Error(`MemoryStore: no invocation '${inv}' to append journal entry ${entry.index} to`);
    journal[entry.index] = structuredClone(encodeEntry(entry));
  }

  completeEntry(inv: string, idx: number, completion: Completion): boolean {
    const stored = this.#journals.get(inv)?.[idx];
    if (!stored || stored.done) return false;
    stored.done = true;
    stored.completion = structuredClone(completion);
    return true;
  }

  pendingEntries(inv: string): Entry[] {
    return this.journal(inv).filter((entry) => !entry.done);
  }

  entry(inv: string, idx: number): { entry: Entry; live: boolean } | undefined {
    const stored = this.#journals.get(inv)?.[idx];
    const row = this.#invocations.get(inv);
    if (!stored || !row) return undefined;
    return { entry: decodeEntry(structuredClone(stored), JOURNAL_VERSION), live: row.status !== STATUS.completed };
  }

  // ---- subscribers, outbox, timers, run failures ----

  addSubscriber(inv: string, sub: Subscriber): void {
    const list = this.#subscribers.get(inv) ?? [];
    if (!list.some((s) => s.owner === sub.owner && s.invocationId === sub.invocationId && s.index === sub.index)) list.push({ ...sub });
    this.#subscribers.set(inv, list);
  }

  takeSubscribers(inv: string): Subscriber[] {
    const list = this.#subscribers.get(inv) ?? [];
    this.#subscribers.delete(inv);
    return list;
  }

  enqueue(owner: string, delivery: Delivery, _now: number): void {
    this.#outbox.push({ owner, delivery: structuredClone(delivery) });
  }

  slot(inv: string): LimitSlot | undefined {
    const slot = this.#slots.get(inv);
    return slot && { ...slot };
  }

  saveSlot(inv: string, slot: LimitSlot): void {
    this.#slots.set(inv, { ...slot });
  }

  takeSlot(inv: string): LimitSlot | undefined {
    const slot = this.#slots.get(inv);
    this.#slots.delete(inv);
    return slot;
  }

  /** Removes and returns what waits in the outbox, in order. */
  takeOutbox(): { owner: string; delivery: Delivery }[] {
    return this.#outbox.splice(0, this.#outbox.length);
  }

  addTimer(inv: string, idx: number, at: number): void {
    this.#timers.set(slot(inv, idx), { inv, idx, at });
  }

  dueTimers(now: number): { inv: string; idx: number }[] {
    const due = [...this.#timers.values()].filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
    return due.slice(0, SWEEP_LIMIT).map(({ inv, idx }) => ({ inv, idx }));
  }

  deleteTimer(inv: string, idx: number): void {
    this.#timers.delete(slot(inv, idx));
  }

  runFailures(inv: string, idx: number): RunFailures {
    return { ...(this.#runFailures.get(slot(inv, idx)) ?? { count: 0 }) };
  }

  addRunFailure(inv: string, idx: number, now: number): void {
    const previous = this.#runFailures.get(slot(inv, idx));
    this.#runFailures.set(slot(inv, idx), { count: (previous?.count ?? 0) + 1, firstFailureAt: previous?.firstFailureAt ?? now });
  }

  // ---- state and promises ----

  readState(scope: string, key: string): Uint8Array | null {
    return this.#state.get(scope)?.get(key)?.slice() ?? null;
  }

  stateKeys(scope: string): string[] {
    return [...(this.#state.get(scope)?.keys() ?? [])].sort();
  }

  setState(scope: string, key: string, value: Uint8Array): void {
    const state = this.#state.get(scope) ?? new Map<string, Uint8Array>();
    state.set(key, value.slice());
    this.#state.set(scope, state);
  }

  clearState(scope: string, key: string): void {
    this.#state.get(scope)?.delete(key);
  }

  clearAllState(scope: string): void {
    this.#state.delete(scope);
  }

  promise(scope: string, name: string): Completion | undefined {
    const completion = this.#promises.get(scope)?.get(name);
    return completion && structuredClone(completion);
  }

  setPromise(scope: string, name: string, completion: Completion): void {
    const promises = this.#promises.get(scope) ?? new Map<string, Completion>();
    if (promises.has(name)) throw new Error(`MemoryStore: promise '${name}' of '${scope}' is already set`);
    promises.set(name, structuredClone(completion));
    this.#promises.set(scope, promises);
  }

  addPromiseWaiter(scope: string, name: string, inv: string, idx: number): void {
    const key = `${scope}\u0000${name}`;
    const waiters = this.#promiseWaiters.get(key) ?? [];
    if (!waiters.some((w) => w.inv === inv && w.idx === idx)) waiters.push({ inv, idx });
    this.#promiseWaiters.set(key, waiters);
  }

  takePromiseWaiters(scope: string, name: string): { inv: string; idx: number }[] {
    const key = `${scope}\u0000${name}`;
    const waiters = this.#promiseWaiters.get(key) ?? [];
    this.#promiseWaiters.delete(key);
    return waiters;
  }

  clearWorkflowData(scope: string): void {
    this.#state.delete(scope);
    this.#promises.delete(scope);
    for (const key of [...this.#promiseWaiters.keys()]) if (key.startsWith(`${scope}\u0000`)) this.#promiseWaiters.delete(key);
  }
}
