/**
 * OTLP/HTTP JSON encoding of spans: the body of `POST {endpoint}/v1/traces`
 * (an ExportTraceServiceRequest: resourceSpans → scopeSpans → spans), written
 * by hand rather than with an OpenTelemetry package: it is ~60 lines, adds
 * nothing to a Worker's bundle but itself, and runs anywhere `fetch` does.
 * JSON mapping of the protobuf (opentelemetry-proto docs/specification.md): field
 * names lowerCamelCase, trace and span ids as hex (not base64), enums as numbers,
 * 64-bit integers (times in ns, int attributes) as decimal strings.
 */
import type { AttributeValue, Span } from "./span.js";

/** Who sends the spans: the resource's and the instrumentation scope's attributes. */
export interface Sender {
  serviceName: string;
}

const SCOPE = { name: "resolute", version: "0.1.0" };

export function encodeSpans(sender: Sender, spans: readonly Span[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: {
          attributes: attributes({ "service.name": sender.serviceName, "telemetry.sdk.name": "resolute", "telemetry.sdk.language": "webjs" }),
        },
        scopeSpans: [{ scope: SCOPE, spans: spans.map(encodeSpan) }],
      },
    ],
  });
}

function encodeSpan(span: Span): unknown {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    ...(span.traceState ? { traceState: span.traceState } : {}),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: nanos(span.startMs),
    endTimeUnixNano: nanos(Math.max(span.endMs, span.startMs)),
    attributes: attributes(span.attributes),
    ...(span.links?.length
      ? { links: span.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: attributes(l.attributes ?? {}) })) }
      : {}),
    ...(span.status ? { status: span.status } : {}),
  };
}

/** Unix ms as ns in a decimal string, kept to the µs (µs since 1970 stay below 2^53 until the year 2255). */
function nanos(ms: number): string {
  const micros = Math.round(ms * 1000);
  return micros === 0 ? "0" : `${micros}000`;
}

function attributes(values: Readonly<Record<string, AttributeValue>>): { key: string; value: unknown }[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: anyValue(value) }));
}

function anyValue(value: AttributeValue): unknown {
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: value };
}
