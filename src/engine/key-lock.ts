/**
 * The key's exclusive lock: one exclusive invocation holds it from its start to its
 * completion (through back-offs and pauses), and the others wait as `pending`, in
 * arrival order. Shared handlers, services and a workflow's run never take it.
 * Kept in memory; the holder is read from storage when an owner host wakes, and the
 * count of waiters is learned lazily, so a key without a queue never asks storage.
 * Extension point: a concurrency limiter would be asked for a slot after `acquire`
 * and give it back at `release` (every exclusive invocation ends through `release`).
 */
export class KeyLock {
  #holder: string | null;
  /** How many invocations wait for the lock; undefined when not known (ask storage). */
  #waiting: number | undefined;

  constructor(
    holder: string | null,
    /** The first invocation waiting for the lock in arrival order, from storage. */
    private readonly nextWaiting: () => string | undefined,
  ) {
    this.#holder = holder;
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

  /** One more invocation waits for the lock. */
  queued(): void {
    if (this.#waiting !== undefined) this.#waiting++;
  }

  /** A waiting invocation ended without ever holding the lock (cancelled or killed while pending). */
  left(): void {
    if (this.#waiting !== undefined) this.#waiting--;
  }

  /** `id` ended: if it held the lock, the next waiting invocation takes it and is returned. */
  release(id: string): string | undefined {
    if (this.#holder !== id) return undefined;
    this.#holder = null;
    if (this.#waiting === 0) return undefined;
    const next = this.nextWaiting();
    if (next === undefined) {
      this.#waiting = 0;
      return undefined;
    }
    if (this.#waiting !== undefined) this.#waiting--;
    this.#holder = next;
    return next;
  }
}
