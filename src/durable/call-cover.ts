/**
 * Calls whose caller holds the delivery open for the answer (outbox.ts asks for it in
 * the response; call-answers.ts waits). While such a call is open, its caller keeps its
 * outbox row and redelivers if this object dies, and the redelivery wakes this object,
 * which replays the call's attempt and redelivers the rows it wrote. So a wake-up armed
 * only to recover from a crash (the redelivery alarm of a new outbox row, the recovery
 * wake-up of an executing attempt, the index's reminder) is not needed while every
 * attempt in memory is a covered call's: an A → B → C chain arms one alarm (A's, whose
 * caller is ingress) instead of one per hop, and each alarm write is an fsync of
 * workerd's alarm database that holds the commit back (an alarm moved earlier is
 * scheduled before the commit completes).
 *
 * Invariant: when a call's cover ends (it is answered, or its caller is told "accepted"
 * and stops redelivering), whatever a skipped wake-up was for and is still there (an
 * outbox row, a live attempt) is guarded in that turn, so the response that ends the
 * cover leaves only once the alarm that replaces it is committed (the output gate).
 * Stored due work (timers, retries, delayed starts) is never skipped: only wake-ups
 * whose sole purpose is crash recovery go through `covers`.
 */

export interface CoverPorts {
  /** Whether `covered` holds for every attempt this object has in memory (true when there are none). */
  everyLive(covered: (invocationId: string) => boolean): boolean;
  /** The last cover ended or an uncovered attempt is live: arm the wake-ups that were skipped, for what is left. */
  guard(): void;
  /** The live invocation here waiting for `invocationId`, a call that runs beside it (lifecycle.ts's callerHere). */
  callerHere?(invocationId: string): string | undefined;
}

/** How many calls beside their callers a cover reaches through (a service calling services calling services…). */
const MAX_DEPTH = 32;

export class CallCover {
  /** Open calls per invocation (a redelivered call can be open twice). */
  readonly #open = new Map<string, number>();
  /** A crash wake-up was skipped since the cover was last complete. */
  #owed = false;

  constructor(private readonly ports: CoverPorts) {}

  /** Whether a crash-recovery wake-up may be skipped now: some call is open and every live attempt is an open call's. */
  covers(): boolean {
    if (this.#open.size === 0 || !this.ports.everyLive((id) => this.#covered(id))) return false;
    this.#owed = true;
    return true;
  }

  /**
   * An open call, or a call running beside its caller (callerHere) whose caller is covered: the
   * caller's redelivery wakes this object, which replays both.
   */
  #covered(id: string): boolean {
    let at: string | undefined = id;
    for (let depth = 0; at !== undefined && depth <= MAX_DEPTH; depth++) {
      if (this.#open.has(at)) return true;
      at = this.ports.callerHere?.(at);
    }
    return false;
  }

  /** The caller of `invocationId` holds its delivery open from now on. */
  open(invocationId: string): void {
    this.#open.set(invocationId, (this.#open.get(invocationId) ?? 0) + 1);
  }

  /** The delivery's response is about to leave (answer or "accepted"): the call is no longer covered by it. */
  close(invocationId: string): void {
    const count = (this.#open.get(invocationId) ?? 1) - 1;
    if (count > 0) this.#open.set(invocationId, count);
    else this.#open.delete(invocationId);
    if (!this.#owed || this.covers()) return;
    this.#owed = false;
    this.ports.guard();
  }
}
