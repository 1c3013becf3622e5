/**
 * What the lifecycle asks of the place it runs (a Durable Object, or an owner of
 * the memory runtime), beyond its store: the clock, wake-ups, delivery, secrets,
 * logs, and what observers (an invocation index, tracing, the test runtime) may
 * follow. The lifecycle's effects out; the driver decides how.
 */
import type { AttemptOutcome } from "./attempt.js";
import type { InvocationRow } from "./invocation-row.js";
import type { Delivery } from "./messages.js";
import type { Completion, Entry, LogLevel, StepTracer, Target } from "./types.js";

export interface LifecycleDriver {
  now(): number;
  /** Stored work is due at `at` (a timer, back-off, delayed start, retention's end): call `fireDue()` by then. */
  wakeBy(at: number): void;
  /** Whether some attempt is executing code rather than waiting: a crash while it is needs a replay. */
  executing(executing: boolean): void;
  /** Deliveries were enqueued: deliver them, and again later when that fails. */
  deliverSoon(): void;
  /**
   * Delivers once, after this turn's writes are durable, with no outbox row and no retry: for
   * a message whose receiver finds a lost one itself (a limit slot's release). Without it,
   * such messages go through the outbox.
   */
  sendOnce?(owner: string, delivery: Delivery): void;
  /** `length` bytes from a real random source (awakeable secrets). */
  randomBytes(length: number): Uint8Array;
  log(level: LogLevel, invocationId: string, args: unknown[]): void;

  /**
   * An invocation's row was written (admitted, status, times, retry count, last
   * failure, completion) or deleted (`removed`): the feed of an invocation index.
   * Called in the same turn as the write; read the rows when you batch.
   */
  rowChanged?(invocationId: string, removed: boolean): void;
  /** An attempt starts: `attempt` counts from 1 (failed attempts so far + 1). */
  attemptStarted?(event: AttemptEvent): void;
  /** An attempt ended with `outcome` (it was not dropped: a kill or an eviction closes attempts without one). */
  attemptEnded?(event: AttemptEvent & { outcome: AttemptOutcome }): void;
  /** A journal entry (and its effects) was stored. */
  entryRecorded?(invocationId: string, entry: Entry): void;
  /** Present only when tracing is on (src/tracing): nothing is made or called for it otherwise. */
  readonly tracer?: LifecycleTracer;
}

/** What spans are made of: the moments of an invocation's life, each told once, by the host that sees it. */
export interface LifecycleTracer extends StepTracer {
  /** `replayed`: the journal entries the attempt starts with (it replays them). */
  attemptStarted(event: AttemptEvent & { headers: Readonly<Record<string, string>>; replayed: number }): void;
  attemptEnded(event: AttemptEvent & { outcome: AttemptOutcome }): void;
  entryRecorded(invocationId: string, entry: Entry): void;
  /** A waiting entry's completion was stored; `traceparent`: the completer's, for an awakeable. */
  entryCompleted(invocationId: string, index: number, completion: Completion, traceparent?: string): void;
  /** `row`: as it was when its last attempt started (or when admitted). */
  invocationFinished(row: InvocationRow, completion: Completion): void;
}

export interface AttemptEvent {
  invocationId: string;
  target: Target;
  attempt: number;
}
