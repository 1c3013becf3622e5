/**
 * W3C trace context (`traceparent`) and the span ids of an invocation, derived
 * from ids the journal already holds. Pure: no randomness, no clock.
 *
 * Why derived ids: an invocation's spans are made by whichever process observes
 * each moment first-hand (the attempt running a step, the object storing a
 * completion after a restart), and a replay after a crash runs the same handler
 * again. Ids computed from (invocation id, attempt number, journal index) are the
 * same in every process and every replay, so a callee started before a crash
 * still points at its caller's call span, and a step is one span however often
 * it is replayed (replayed steps export nothing: the span exported by the
 * execution that ran it stands).
 * Invariant: never reads or writes anything; the same inputs give the same ids.
 */
import { hash53 } from "./ids.js";

/** The header name, lower-case as ingress stores headers. */
export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

/** The context an invocation runs in: its trace, the span that caused it (if any), and whether it is sampled. */
export interface TraceContext {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** The caller's span (16 hex digits): a call or send span, or the client's span at ingress. Absent: the invocation is a trace's root. */
  parentSpanId?: string;
  /** The trace-flags sampled bit: false when the caller decided not to record this trace. */
  sampled: boolean;
  /** Vendor data that travels with the trace (`tracestate`), forwarded unchanged. */
  tracestate?: string;
}

const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** Parses a `traceparent` value; undefined when malformed (a malformed one is ignored, as the W3C spec asks). */
export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string; sampled: boolean } | undefined {
  const m = value === undefined ? null : TRACEPARENT_PATTERN.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is forbidden; version 00 has nothing after the flags (later versions may).
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

/**
 * The trace an invocation belongs to: its `traceparent` header's (a call's, a send's, or
 * the client's at ingress), or else a new trace whose id is derived from the invocation id
 * (a new trace without a random source; the same after any restart).
 */
export function traceOf(invocationId: string, headers: Readonly<Record<string, string>>): TraceContext {
  const parent = parseTraceparent(headers[TRACEPARENT]);
  const tracestate = parent ? headers[TRACESTATE] : undefined;
  if (!parent) return { traceId: derivedTraceId(invocationId), sampled: true };
  return { traceId: parent.traceId, parentSpanId: parent.spanId, sampled: parent.sampled, ...(tracestate ? { tracestate } : {}) };
}

/**
 * What an invocation's calls, sends and awakeable completions carry of its trace: a
 * `traceparent` naming the step that made them as the parent, so the other side's spans
 * hang under (or link to) that step's span.
 */
export class OutgoingTrace {
  readonly trace: TraceContext;

  constructor(
    readonly invocationId: string,
    headers: ReadonlyMap<string, string>,
  ) {
    this.trace = traceOf(invocationId, Object.fromEntries(headers));
  }

  /** The `traceparent` of step `index`'s span. */
  traceparent(index: number): string {
    return formatTraceparent(this.trace.traceId, stepSpanId(this.invocationId, index), this.trace.sampled);
  }

  /** The handler's headers for a call or send by step `index`, with this trace's (replacing any the handler set: a foreign parent would cut the callee out of the trace). */
  headers(headers: Readonly<Record<string, string>>, index: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (lower !== TRACEPARENT && lower !== TRACESTATE) out[name] = value;
    }
    out[TRACEPARENT] = this.traceparent(index);
    if (this.trace.tracestate) out[TRACESTATE] = this.trace.tracestate;
    return out;
  }
}

/** The invocation's own span (from admission to completion). */
export function invocationSpanId(invocationId: string): string {
  return spanId(invocationId);
}

/** Attempt `attempt` (from 1) of the invocation; a replay after a restart keeps its attempt's number, hence its span. */
export function attemptSpanId(invocationId: string, attempt: number): string {
  return spanId(`${invocationId}@${attempt}`);
}

/** The journal entry at `index`: a run, sleep, call, send, awakeable... */
export function stepSpanId(invocationId: string, index: number): string {
  return spanId(`${invocationId}#${index}`);
}

/**
 * A `ctx.run` execution that failed and ended attempt `attempt`: one per attempt at most
 * (a retryable failure ends the attempt), apart from the execution that was journaled.
 */
export function failedRunSpanId(invocationId: string, index: number, attempt: number): string {
  return spanId(`${invocationId}#${index}@${attempt}`);
}

function derivedTraceId(invocationId: string): string {
  return nonZero(hex32(invocationId, 21) + hex32(invocationId, 22) + hex32(invocationId, 23) + hex32(invocationId, 24));
}

function spanId(text: string): string {
  return nonZero(hex32(text, 11) + hex32(text, 12));
}

/** 32 bits of a seeded hash as 8 hex digits. */
function hex32(text: string, seed: number): string {
  return (hash53(text, seed) >>> 0).toString(16).padStart(8, "0");
}

/** All-zero ids are invalid in W3C trace context (one in 2^64: the last digit is set instead). */
function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}
