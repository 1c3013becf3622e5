/**
 * Which of one attempt's request-response calls have their callee beside the caller (in the
 * caller's own owner: addressing.ts's callAddress) and no result yet. An owner (a Durable
 * Object) runs one thing at a time, so a fan-out whose callees all lived beside their caller
 * would run them one after another instead of over the executor shards (issue 14): a call
 * goes beside its caller only while no other callee is there in flight. The chain (one call at
 * a time) keeps every callee beside; a fan-out keeps its first one.
 *
 * Only new calls ask (busy): the answer is in the callee's journaled id, which a replay reuses,
 * so a replay never decides again. Replayed calls are noted too, so a call made after a replay
 * sees the callees still in flight from before it.
 */
export class BesideCalls {
  /** Journal indexes of calls beside the caller that had no result when last looked at. */
  readonly #open = new Set<number>();

  constructor(
    /** Whether journal entry `index` has its completion. */
    private readonly done: (index: number) => boolean,
  ) {}

  /** Call entry `index` (new or replayed) has its callee beside the caller. */
  note(index: number): void {
    if (!this.done(index)) this.#open.add(index);
  }

  /** Whether a callee beside the caller is still waited for: then a new call goes to the shards. */
  busy(): boolean {
    for (const index of this.#open) if (this.done(index)) this.#open.delete(index);
    return this.#open.size > 0;
  }
}
