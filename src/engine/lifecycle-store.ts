/**
 * The lifecycle's store port: what one owner host keeps (its invocations, their
 * journals, timers, run-failure counts, callers waiting, outgoing deliveries, the
 * handlers' state and durable promises), as synchronous operations that both the
 * Durable Object's SQLite and the memory runtime's maps can do. It holds no rules:
 * every decision is the lifecycle's (lifecycle.ts), every effect's meaning the
 * journal host's (journal-host.ts). One contract suite runs against every
 * implementation (test/contract/).
 *
 * Scope: state and promises are kept per scope, "" for a virtual object's own
 * key and the workflow id in a workflow's host (one host may serve many ids).
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import type { InvocationRow, InvocationStatus } from "./invocation-row.js";
import type { Delivery, InvokeRequest, Subscriber } from "./messages.js";
import type { Completion, Entry, RunFailures } from "./types.js";

/** Invocation rows, in arrival order (`seq`). */
export interface InvocationTable {
  /** Inserts a new invocation; its seq, or undefined when one with this id exists (a duplicate). */
  insertInvocation(req: InvokeRequest, exclusive: boolean, status: InvocationStatus, nextAt: number | null, now: number): number | undefined;
  invocation(id: string): InvocationRow | undefined;
  /** In arrival order; completed ones in expiry order. `key` keeps one workflow id's. */
  invocationsWithStatus(status: InvocationStatus, limit?: number, key?: string): InvocationRow[];
  /** The first pending invocation in arrival order (next in line for the lock). */
  nextPending(): string | undefined;
  /** Back-offs and scheduled starts due at `now`, in arrival order. */
  dueInvocations(now: number): InvocationRow[];
  setStatus(id: string, status: InvocationStatus, now: number, nextAt?: number | null): void;
  /** A failed attempt: one more in `attempts`, the failure kept, the new status and next time. */
  recordRetry(id: string, status: InvocationStatus, failure: ErrorRecord, nextAt: number | null, now: number): void;
  complete(id: string, completion: Completion, now: number, expiresAt: number): void;
  setCancelRequested(id: string, requested: boolean): void;
  /** Deletes completed invocations whose retention ended (with journals); their ids. */
  deleteExpired(now: number): string[];
  /** Deletes one invocation with its journal, run failures and subscribers. */
  deleteInvocation(seq: number, id: string): void;
  /** The earliest time stored work is due (timers, back-offs, scheduled starts, expiry; a store may add its own). */
  earliestDue(): number | undefined;
}

/** Journals, stored through the journal codec; entries are returned as new objects. */
export interface JournalTable {
  journal(inv: string): Entry[];
  appendEntry(inv: string, entry: Entry, now: number): void;
  /** Completes a pending entry; false when it was already complete or does not exist. */
  completeEntry(inv: string, idx: number, completion: Completion): boolean;
  pendingEntries(inv: string): Entry[];
  /** One entry, and whether its invocation is still live (not completed). */
  entry(inv: string, idx: number): { entry: Entry; live: boolean } | undefined;
}

/** Everything else an invocation's life needs kept. */
export interface LifecycleRecords {
  /** Callers waiting for an invocation's result (calls and attaches from handlers). */
  addSubscriber(inv: string, sub: Subscriber): void;
  takeSubscribers(inv: string): Subscriber[];
  /** A delivery to another owner (or this one), kept until delivered. */
  enqueue(owner: string, delivery: Delivery, now: number): void;
  addTimer(inv: string, idx: number, at: number): void;
  dueTimers(now: number): { inv: string; idx: number }[];
  deleteTimer(inv: string, idx: number): void;
  runFailures(inv: string, idx: number): RunFailures;
  addRunFailure(inv: string, idx: number, now: number): void;
}

/** The handlers' state and durable promises, per scope. */
export interface HandlerData {
  readState(scope: string, key: string): Uint8Array | null;
  stateKeys(scope: string): string[];
  setState(scope: string, key: string, value: Uint8Array): void;
  clearState(scope: string, key: string): void;
  clearAllState(scope: string): void;
  promise(scope: string, name: string): Completion | undefined;
  setPromise(scope: string, name: string, completion: Completion): void;
  addPromiseWaiter(scope: string, name: string, inv: string, idx: number): void;
  takePromiseWaiters(scope: string, name: string): { inv: string; idx: number }[];
  /** A workflow id's state, promises and promise waiters (its run's retention ended). */
  clearWorkflowData(scope: string): void;
}

/** A limited invocation's ask for a slot: the limiter it asked and the round of the ask (limit-slots.ts). */
export interface LimitSlot {
  limiter: string;
  round: number;
}

/**
 * The asks of an owner's limited invocations, kept until each ends (issue 15). A store
 * that never kept one must answer `takeSlot` at no cost: every finish asks.
 */
export interface LimitSlotTable {
  slot(inv: string): LimitSlot | undefined;
  saveSlot(inv: string, slot: LimitSlot): void;
  /** Deletes the invocation's ask and returns it (undefined when it made none). */
  takeSlot(inv: string): LimitSlot | undefined;
}

export interface LifecycleStore extends InvocationTable, JournalTable, LifecycleRecords, HandlerData, LimitSlotTable {
  /** Runs `fn` atomically: its writes stand or fall together. */
  transaction<T>(fn: () => T): T;
  /**
   * Runs `work` once the open transaction (the outermost, when they nest) returned without
   * throwing; dropped when it throws; at once when none is open. `work` must not throw.
   */
  afterCommit(work: () => void): void;
  /** Whether `error`, thrown by a write, means a value was larger than this store can keep. */
  tooLarge(error: unknown): boolean;
}

/**
 * Runs `fn` in a transaction only when it makes several writes (`several`), which must stand or
 * fall together; one write needs none, since a turn's writes commit together anyway, and a
 * transaction costs a savepoint.
 */
export function atomicallyIf<T>(store: Pick<LifecycleStore, "transaction">, several: boolean, fn: () => T): T {
  return several ? store.transaction(fn) : fn();
}
