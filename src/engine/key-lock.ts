/**
 * The key's exclusive lock: one exclusive invocation holds it from its start to its
 * completion (through back-offs and pauses), and the others wait as `pending`, in
 * arrival order (their seq). Shared handlers, services and a workflow's run never take it.
 * Kept in memory; the holder is read from storage when an owner host wakes, and the
 * waiters are learned lazily: until storage has been asked once and had none, the
 * next waiter is read from storage (unless the host knew at wake-up that none waited); from then on every waiter was queued by this
 * instance and is known here, with its row, so a hot key's queue never asks storage
 * (invocations that arrive together run back to back: see the durable side's group commit).
 * Concurrency limits are not asked here: an invocation asks for its slot once it holds the
 * lock, and gives it back when it ends (limit-slots.ts).
 */
import type { InvocationRow } from "./invocation-row.js";

export class KeyLock {
  #holder: string | null;
  /** The invocations waiting for the lock, in seq order; undefined when not known (ask storage). */
  #waiting: InvocationRow[] | undefined;

  constructor(
    holder: string | null,
    /** The first invocation waiting for the lock in arrival order, from storage. */
    private readonly nextWaiting: () => string | undefined,
    /** Storage had no waiting invocation when the host woke: every later one is queued here. */
    noneWaiting = false,
  ) {
    this.#holder = holder;
    if (noneWaiting) this.#waiting = [];
  }

  get holder(): string | null {
    return this.#holder;
  }

  /** `id` takes the lock if it is free (or already its): whether `id` may run now. */
  acquire(id: string): boolean {
    if (this.#holder !== null && this.#holder !== id) return false;
    this.#holder = id;
    return true;
  }

  /** `row` (stored as pending) waits for the lock. */
  queued(row: InvocationRow): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    // Fresh arrivals have the highest seq; a scheduled start that found the lock taken may not.
    let at = waiting.length;
    while (at > 0 && waiting[at - 1]!.seq > row.seq) at--;
    waiting.splice(at, 0, row);
  }

  /** A waiting invocation ended without ever holding the lock (cancelled or killed while pending). */
  left(id: string): void {
    const at = this.#waiting?.findIndex((row) => row.id === id) ?? -1;
    if (at >= 0) this.#waiting!.splice(at, 1);
  }

  /**
   * `id` ended: if it held the lock, the next waiting invocation takes it and is returned,
   * with its row as queued when this instance queued it (it is still pending: nothing else
   * changes a waiting row but its end, which calls `left`).
   */
  release(id: string): { id: string; row?: InvocationRow } | undefined {
    if (this.#holder !== id) return undefined;
    this.#holder = null;
    if (this.#waiting) {
      const row = this.#waiting.shift();
      if (row) this.#holder = row.id;
      return row && { id: row.id, row };
    }
    const next = this.nextWaiting();
    if (next === undefined) {
      this.#waiting = [];
      return undefined;
    }
    this.#holder = next;
    return { id: next };
  }
}
