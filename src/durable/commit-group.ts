/**
 * Group commit: the object's arrivals (requests, deliveries) that come in while its
 * previous commit is in flight wait here, in arrival order, and run back to back in
 * one turn once that commit is durable, so one commit (one WAL append and fsync)
 * covers all of them instead of one each. On a hot key, invocations that arrive
 * together share a commit.
 *
 * Why no answer leaves early. workerd opens an implicit transaction at a turn's first
 * write and locks the object's output gate from that write until the transaction is
 * committed and durable (ActorSqlite::onWrite: `outputGate.lockWhile(evalLater(commit))`;
 * `transactionSync` is a savepoint inside it). Every answer (an RPC's return, a
 * response, a subrequest) waits for the locks held when it is sent. A batch runs
 * in one turn, so its first write locks the gate before any member is answered,
 * and each member's answer is sent after its own writes: every answer waits for
 * the commit that holds them. A member that awaits real I/O ends the turn there:
 * what was written so far commits, and the rest goes on as it would alone. If the
 * process dies before the commit, the whole batch rolls back and no member was
 * answered. `storage.sync()` is `outputGate.wait()`: it resolves when the commit in
 * flight is durable.
 *
 * Arrival order is kept: an arrival runs at once only when nothing waits and no
 * commit is in flight, so a later arrival never overtakes an earlier one.
 */
interface Waiting {
  run: () => void;
  fail: (error: unknown) => void;
}

export class CommitGroup {
  readonly #waiting: Waiting[] = [];
  #inFlight = false;

  constructor(
    /** Resolves when every write made so far is durable (`storage.sync`). */
    private readonly durable: () => Promise<void>,
  ) {}

  /** Runs `arrival` now if no commit is in flight, else right after it with the others that wait. */
  run<T>(arrival: () => T | Promise<T>): Promise<T> {
    if (!this.#inFlight) {
      this.#inFlight = true;
      const result = settle(arrival);
      this.#afterCommit();
      return result;
    }
    return new Promise<T>((resolve, reject) => this.#waiting.push({ run: () => void settle(arrival).then(resolve, reject), fail: reject }));
  }

  #afterCommit(): void {
    this.durable().then(
      () => this.#next(),
      // The commit failed: workerd resets the object and fails its requests; these go with them.
      (error: unknown) => this.#fail(error),
    );
  }

  #next(): void {
    if (this.#waiting.length === 0) return void (this.#inFlight = false);
    const batch = this.#waiting.splice(0);
    for (const arrival of batch) arrival.run();
    this.#afterCommit();
  }

  #fail(error: unknown): void {
    this.#inFlight = false;
    for (const arrival of this.#waiting.splice(0)) arrival.fail(error);
  }
}

/** `fn`'s result as a promise, a synchronous throw included. */
function settle<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
