/**
 * The spans Resolute exports: plain data, made only when tracing is on. Names and
 * attributes follow Restate's (`restate.invocation.id`, `restate.invocation.target`,
 * `rpc.service`/`rpc.method`) where it has one, `resolute.*` otherwise.
 */

/** OTLP's span kinds (opentelemetry-proto trace.proto). */
export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export type SpanKind = (typeof SPAN_KIND)[keyof typeof SPAN_KIND];

/** OTLP's status codes: unset, ok, error. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

export type AttributeValue = string | number | boolean;

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes?: Record<string, AttributeValue>;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** Forwarded W3C `tracestate`, when the trace had one. */
  traceState?: string;
  name: string;
  kind: SpanKind;
  /** Unix ms (the object's clock). */
  startMs: number;
  endMs: number;
  attributes: Record<string, AttributeValue>;
  links?: SpanLink[];
  status?: { code: (typeof STATUS_CODE)[keyof typeof STATUS_CODE]; message?: string };
}

/** Attribute names, one place. */
export const ATTR = {
  invocationId: "restate.invocation.id",
  target: "restate.invocation.target",
  rpcService: "rpc.service",
  rpcMethod: "rpc.method",
  result: "restate.invocation.result",
  errorCode: "restate.error.code",
  attempt: "resolute.attempt",
  replayed: "resolute.replayed",
  replayedEntries: "resolute.replayed_entries",
  retry: "resolute.retry",
  journalIndex: "restate.journal.index",
  entryType: "resolute.entry.type",
  runName: "restate.run.name",
  wakeUpTime: "restate.sleep.wake_up_time",
  calleeId: "resolute.callee.invocation_id",
  startUnknown: "resolute.start_unknown",
} as const;
