/**
 * Turns what one owner object observes — attempts starting and ending, steps
 * starting, journal entries stored and completed, invocations finishing — into
 * spans. Exists only when tracing is on. Pure logic over ports (clock, storage
 * look-ups, the exporter).
 *
 * The span tree of an invocation (ids from trace-context.ts, the same in every
 * process and replay):
 *   invocation (SERVER, admission → completion; its parent: the `traceparent` it
 *   arrived with, else the root of a trace named after the invocation id)
 *   └ attempt n (from its start → its outcome; a replay after a restart keeps n)
 *     └ steps: run, sleep, call, send, awakeable, attach, promise, made by that attempt
 * A call's or send's span id is in the callee's `traceparent`, so the callee's
 * invocation span is its child, in another object.
 *
 * Each span is exported once, at its end, by the process that observes the end
 * first-hand; a replayed step exports nothing (its span was exported when it ran).
 * What a restart takes from memory is looked up when needed: the invocation's
 * headers and attempt number, and the step's start (when its entry was stored).
 * A step whose completion is lost with the process (a run that was executing) runs
 * again and is exported then. Steps still waiting when the invocation ends (a
 * timeout's timer that never fired) are not exported.
 */
import type { AttemptOutcome } from "../engine/attempt.js";
import { targetOf, type InvocationRow } from "../engine/invocation-row.js";
import { targetName } from "../engine/addressing.js";
import type { AttemptEvent, LifecycleTracer } from "../engine/lifecycle-driver.js";
import {
  attemptSpanId,
  failedRunSpanId,
  invocationSpanId,
  parseTraceparent,
  stepSpanId,
  traceOf,
  type TraceContext,
} from "../engine/trace-context.js";
import type { Completion, Entry, EntryType, Target } from "../engine/types.js";
import type { ErrorRecord } from "../../sdk/errors.js";
import { ATTR, SPAN_KIND, STATUS_CODE, type AttributeValue, type Span, type SpanKind, type SpanLink } from "./span.js";

/** What an invocation's spans need to know about it. */
export interface InvocationFacts {
  invocationId: string;
  target: Target;
  headers: Readonly<Record<string, string>>;
  /** The attempt running now or next (failed attempts + 1). */
  attempt: number;
}

export interface TracerPorts {
  now(): number;
  /** Hands finished spans to the exporter. */
  emit(spans: Span[]): void;
  /** An invocation this instance has not seen yet (after a restart); undefined when unknown. */
  lookup(invocationId: string): InvocationFacts | undefined;
  /** A stored journal entry and when it was first stored (a step's start), for a step this instance did not see start. */
  entry(invocationId: string, index: number): { entry: Entry; storedAt?: number } | undefined;
}

/** Entry types that become spans, with their kind. */
const STEP_KINDS: Partial<Record<EntryType, SpanKind>> = {
  run: SPAN_KIND.internal,
  sleep: SPAN_KIND.internal,
  call: SPAN_KIND.client,
  attach: SPAN_KIND.client,
  send: SPAN_KIND.producer,
  awakeable: SPAN_KIND.internal,
  completeAwakeable: SPAN_KIND.producer,
  getPromise: SPAN_KIND.internal,
  completePromise: SPAN_KIND.internal,
};

interface OpenStep {
  type: EntryType;
  name: string;
  start: number;
  /** The attempt that started it (its span is the step's parent). */
  attempt: number;
  startUnknown?: boolean;
}

interface Live {
  trace: TraceContext;
  target: Target;
  attempt: number;
  /** When the attempt in memory started; undefined while none is. */
  attemptStart?: number;
  replayed: number;
  steps: Map<number, OpenStep>;
}

/** Invocations followed at most (parked ones are forgotten oldest first; a look-up brings them back). */
const MAX_LIVE = 10_000;

export class Tracer implements LifecycleTracer {
  readonly #live = new Map<string, Live>();

  constructor(private readonly ports: TracerPorts) {}

  attemptStarted(facts: AttemptEvent & InvocationFacts & { replayed: number }): void {
    const live = this.#follow(facts);
    live.attempt = facts.attempt;
    live.attemptStart = this.ports.now();
    live.replayed = facts.replayed;
  }

  stepStarted(invocationId: string, index: number, type: EntryType, name: string): void {
    if (STEP_KINDS[type] === undefined) return;
    const live = this.#known(invocationId);
    live?.steps.set(index, { type, name, start: this.ports.now(), attempt: live.attempt });
  }

  /** An entry was stored: one stored done ends its step (a run, a send, an awaitable completed at once). */
  entryRecorded(invocationId: string, entry: Entry): void {
    if (!entry.done || STEP_KINDS[entry.type] === undefined) return;
    const live = this.#live.get(invocationId);
    const step = live?.steps.get(entry.index);
    if (live && step) this.#endStep(invocationId, live, entry.index, step, entry.completion);
  }

  /** A waiting entry got its completion (stored): `traceparent` is the completer's, for an awakeable. */
  entryCompleted(invocationId: string, index: number, completion: Completion, traceparent?: string): void {
    const live = this.#known(invocationId);
    const step = live && (live.steps.get(index) ?? this.#lostStep(invocationId, live, index));
    if (!live || !step) return;
    const completer = parseTraceparent(traceparent);
    const links = completer ? [{ traceId: completer.traceId, spanId: completer.spanId }] : undefined;
    this.#endStep(invocationId, live, index, step, completion, links);
  }

  attemptEnded({ invocationId, attempt, outcome }: AttemptEvent & { outcome: AttemptOutcome }): void {
    const live = this.#live.get(invocationId);
    if (!live) return;
    const failure = outcome.kind === "success" ? undefined : outcome.error;
    const attributes: Record<string, AttributeValue> = outcome.kind === "retry" ? { [ATTR.retry]: true } : {};
    this.#endAttempt(invocationId, live, attempt, failure, attributes);
    for (const [index, step] of live.steps) {
      if (step.type !== "run" || step.attempt !== attempt) continue;
      // A run that did not finish in this attempt runs again in the next; the one that failed it is a span of its own.
      live.steps.delete(index);
      if (outcome.kind === "retry" && outcome.runIndex === index) {
        this.#emit(live, [this.#stepSpan(invocationId, live, index, step, failedRunSpanId(invocationId, index, attempt), { failure: outcome.error })]);
      }
    }
    if (outcome.kind === "retry") live.attempt = attempt + 1;
  }

  /** The invocation completed; its attempt in memory, if any (a kill), ends with it. */
  invocationFinished(row: InvocationRow, completion: Completion): void {
    const id = row.id;
    const live = this.#live.get(id) ?? this.#follow(factsOf(row));
    this.#live.delete(id);
    const failure = "failure" in completion ? completion.failure : undefined;
    if (live.attemptStart !== undefined) this.#endAttempt(id, live, live.attempt, failure, {});
    const { service, handler } = live.target;
    const span: Span = {
      ...this.#ids(live, invocationSpanId(id), live.trace.parentSpanId),
      name: `${service}/${handler}`,
      kind: SPAN_KIND.server,
      startMs: row.createdAt,
      endMs: this.ports.now(),
      attributes: {
        ...this.#about(id, live),
        [ATTR.attempt]: live.attempt,
        [ATTR.rpcService]: service,
        [ATTR.rpcMethod]: handler,
        [ATTR.result]: failure ? "failure" : "success",
        ...(failure ? { [ATTR.errorCode]: failure.code } : {}),
      },
      ...status(failure),
    };
    this.#emit(live, [span]);
  }

  /** The ids a log line about `invocationId` carries: its trace and its attempt's span. */
  logIds(invocationId: string): { traceId: string; spanId: string } | undefined {
    const live = this.#live.get(invocationId);
    return live && { traceId: live.trace.traceId, spanId: attemptSpanId(invocationId, live.attempt) };
  }

  #endAttempt(invocationId: string, live: Live, attempt: number, failure: ErrorRecord | undefined, extra: Record<string, AttributeValue>): void {
    const start = live.attemptStart ?? this.ports.now();
    live.attemptStart = undefined;
    const span: Span = {
      ...this.#ids(live, attemptSpanId(invocationId, attempt), invocationSpanId(invocationId)),
      name: "attempt",
      kind: SPAN_KIND.internal,
      startMs: start,
      endMs: this.ports.now(),
      attributes: { ...this.#about(invocationId, live), [ATTR.attempt]: attempt, [ATTR.replayed]: live.replayed > 0, [ATTR.replayedEntries]: live.replayed, ...extra },
      ...status(failure),
    };
    this.#emit(live, [span]);
  }

  #endStep(invocationId: string, live: Live, index: number, step: OpenStep, completion?: Completion, links?: SpanLink[]): void {
    live.steps.delete(index);
    const failure = completion && "failure" in completion ? completion.failure : undefined;
    this.#emit(live, [this.#stepSpan(invocationId, live, index, step, stepSpanId(invocationId, index), { failure, links })]);
  }

  #stepSpan(invocationId: string, live: Live, index: number, step: OpenStep, spanId: string, end: { failure?: ErrorRecord; links?: SpanLink[] | undefined }): Span {
    return {
      ...this.#ids(live, spanId, attemptSpanId(invocationId, step.attempt)),
      name: step.name ? `${step.type} ${step.name}` : step.type,
      kind: STEP_KINDS[step.type]!,
      startMs: step.start,
      endMs: this.ports.now(),
      attributes: {
        ...this.#about(invocationId, live),
        [ATTR.attempt]: step.attempt,
        [ATTR.journalIndex]: index,
        [ATTR.entryType]: step.type,
        ...(step.type === "run" ? { [ATTR.runName]: step.name } : {}),
        ...(step.startUnknown ? { [ATTR.startUnknown]: true } : {}),
      },
      ...(end.links ? { links: end.links } : {}),
      ...status(end.failure),
    };
  }

  /** A waiting step this instance did not see start (it started before a restart): its start is its entry's time. */
  #lostStep(invocationId: string, live: Live, index: number): OpenStep | undefined {
    const stored = this.ports.entry(invocationId, index);
    if (!stored || STEP_KINDS[stored.entry.type] === undefined) return undefined;
    const { type, name } = stored.entry;
    return { type, name, start: stored.storedAt ?? this.ports.now(), attempt: live.attempt, ...(stored.storedAt === undefined ? { startUnknown: true } : {}) };
  }

  #ids(live: Live, spanId: string, parentSpanId: string | undefined): Pick<Span, "traceId" | "spanId" | "parentSpanId" | "traceState"> {
    const { traceId, tracestate } = live.trace;
    return { traceId, spanId, ...(parentSpanId ? { parentSpanId } : {}), ...(tracestate ? { traceState: tracestate } : {}) };
  }

  #about(invocationId: string, live: Live): Record<string, AttributeValue> {
    return { [ATTR.invocationId]: invocationId, [ATTR.target]: targetName(live.target) };
  }

  #emit(live: Live, spans: Span[]): void {
    // An unsampled trace (the caller's decision, in its traceparent's flags) is followed, never exported.
    if (live.trace.sampled) this.ports.emit(spans);
  }

  /** The invocation's state, looked up when this instance has not seen it (a restart). */
  #known(invocationId: string): Live | undefined {
    const live = this.#live.get(invocationId);
    if (live) return live;
    const facts = this.ports.lookup(invocationId);
    return facts && this.#follow(facts);
  }

  #follow(facts: InvocationFacts): Live {
    const existing = this.#live.get(facts.invocationId);
    if (existing) return existing;
    if (this.#live.size >= MAX_LIVE) this.#live.delete(this.#live.keys().next().value!);
    const live: Live = { trace: traceOf(facts.invocationId, facts.headers), target: facts.target, attempt: facts.attempt, replayed: 0, steps: new Map() };
    this.#live.set(facts.invocationId, live);
    return live;
  }
}

/** What an invocation's stored row says about it. */
export function factsOf(row: InvocationRow): InvocationFacts {
  return { invocationId: row.id, target: targetOf(row), headers: row.headers, attempt: row.attempts + 1 };
}

function status(failure: ErrorRecord | undefined): Pick<Span, "status"> {
  return failure ? { status: { code: STATUS_CODE.error, message: failure.message } } : {};
}
