/**
 * The attempts an owner host has in memory: at most one per invocation, each
 * running the handler against its journal through the host's Host. Only
 * bookkeeping; what an attempt's end means is the lifecycle's (it is told).
 * An invocation whose attempt is not here is either waiting for a replay (a
 * completion or a recovery starts one) or not running at all.
 */
import { Attempt, type AttemptOutcome } from "./attempt.js";
import type { TargetKinds } from "./addressing.js";
import { targetOf, type InvocationRow } from "./invocation-row.js";
import type { AttemptEvent, LifecycleDriver } from "./lifecycle-driver.js";
import type { HandlerSpec } from "./registry.js";
import type { Completion, Entry, Host } from "./types.js";

/** Attempts are numbered from 1: the failed attempts so far, plus one (a replay keeps its attempt's number). */
const event = (row: InvocationRow, target: AttemptEvent["target"]): AttemptEvent => ({ invocationId: row.id, target, attempt: row.attempts + 1 });

export type AttemptEnded = (row: InvocationRow, spec: HandlerSpec, outcome: AttemptOutcome) => void;

/** An attempt in memory, with its invocation's row as it was when the attempt started (status running). */
interface Live {
  attempt: Attempt;
  row: InvocationRow;
}

export class LiveAttempts {
  readonly #live = new Map<string, Live>();
  /** Invocations whose next awaited operation must fail with CancelledError (mirrors the stored flag). */
  readonly cancelRequested = new Set<string>();

  constructor(
    private readonly driver: LifecycleDriver,
    private readonly kinds: TargetKinds,
    private readonly extraArgs: readonly unknown[] | undefined,
    private readonly ended: AttemptEnded,
  ) {}

  /** Some attempt is executing code (not only waiting on completions). */
  get executing(): boolean {
    for (const { attempt } of this.#live.values()) if (!attempt.waiting) return true;
    return false;
  }

  /**
   * Invocations whose attempt started in the current run of code (cleared at the next
   * microtask): none of them can be awaiting anything yet. On a hot key a batch of arrivals
   * starts one attempt and queues the rest in one run, and each arrival checks `executing`.
   */
  readonly #justStarted = new Set<string>();

  /** Some attempt started before the current run of code is executing (it may await I/O outside `ctx.run`). */
  get executingSinceEarlier(): boolean {
    for (const [id, { attempt }] of this.#live) if (!attempt.waiting && !this.#justStarted.has(id)) return true;
    return false;
  }

  get size(): number {
    return this.#live.size;
  }

  has(id: string): boolean {
    return this.#live.has(id);
  }

  /** Whether `test` holds for every invocation with an attempt here (true when there are none). */
  every(test: (id: string) => boolean): boolean {
    for (const id of this.#live.keys()) if (!test(id)) return false;
    return true;
  }

  /** Whether `id`'s attempt waits on completions; undefined when it has none here. */
  waiting(id: string): boolean | undefined {
    return this.#live.get(id)?.attempt.waiting;
  }

  /** The row `id`'s attempt started from, if it has one here. */
  row(id: string): InvocationRow | undefined {
    return this.#live.get(id)?.row;
  }

  /** Starts an attempt of `row` (stored as running by now), replacing one in memory. */
  start(row: InvocationRow, spec: HandlerSpec, journal: readonly Entry[], host: Host): void {
    const id = row.id;
    if (row.cancelRequested) this.cancelRequested.add(id);
    this.#live.get(id)?.attempt.close();
    const target = targetOf(row);
    const attempt = new Attempt({
      invocationId: id,
      target,
      input: row.input,
      headers: row.headers,
      ...(row.idempotencyKey ? { idempotencyKey: row.idempotencyKey } : {}),
      journal,
      spec,
      kinds: this.kinds,
      host,
      ...(this.extraArgs ? { extraArgs: this.extraArgs } : {}),
    });
    this.#live.set(id, { attempt, row });
    if (this.#justStarted.size === 0) queueMicrotask(() => this.#justStarted.clear());
    this.#justStarted.add(id);
    // Observers' events are made only when someone listens (optional calls skip their arguments).
    this.driver.attemptStarted?.(event(row, target));
    this.driver.tracer?.attemptStarted({ ...event(row, target), headers: row.headers, replayed: journal.length });
    void attempt.start().then((outcome) => {
      // An attempt that was closed or replaced never reports (a closed one does not end at all).
      if (this.#live.get(id)?.attempt !== attempt) return;
      this.#forget(id);
      this.driver.executing(this.executing);
      this.driver.attemptEnded?.({ ...event(row, target), outcome });
      this.driver.tracer?.attemptEnded({ ...event(row, target), outcome });
      this.ended(row, spec, outcome);
    });
  }

  /** Hands a completion to `id`'s attempt; false when it has none that is open. */
  complete(id: string, index: number, completion: Completion): boolean {
    const attempt = this.#live.get(id)?.attempt;
    if (!attempt || attempt.closed) return false;
    attempt.complete(index, completion);
    return true;
  }

  /** Closes and forgets `id`'s attempt, or every attempt: it records nothing more. */
  drop(id?: string): void {
    for (const [liveId, { attempt }] of this.#live) {
      if (id !== undefined && liveId !== id) continue;
      attempt.close();
      this.#forget(liveId);
    }
    this.driver.executing(this.executing);
  }

  #forget(id: string): void {
    this.#live.delete(id);
    this.cancelRequested.delete(id);
  }
}
