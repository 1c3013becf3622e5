/**
 * A local OTLP/HTTP collector for tests: listens on loopback, takes
 * `POST /v1/traces` with OTLP JSON bodies and keeps their spans, flattened
 * (attributes as plain values), for tests to check ids, parents and links.
 */
import type { IncomingMessage } from "node:http";
import { RecordingServer } from "./recording-server.js";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
  status?: { code: number; message?: string };
  /** The resource's service.name. */
  service: string;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

export class OtlpReceiver extends RecordingServer {
  readonly spans: ReceivedSpan[] = [];
  /** Every request's headers, in arrival order. */
  readonly requests: IncomingMessage["headers"][] = [];
  /** Answer with this status (e.g. 503) instead of 200. */
  status = 200;

  static start(): Promise<OtlpReceiver> {
    return new OtlpReceiver().listen("");
  }

  protected answer(req: IncomingMessage, body: string): { status: number; body: string } {
    if (req.method !== "POST" || req.url !== "/v1/traces" || !String(req.headers["content-type"]).startsWith("application/json")) {
      return { status: 404, body: "{}" };
    }
    this.requests.push(req.headers);
    if (this.status !== 200) return { status: this.status, body: "{}" };
    for (const resource of JSON.parse(body).resourceSpans) {
      const service = String(flatten(resource.resource.attributes)["service.name"]);
      for (const scope of resource.scopeSpans) for (const span of scope.spans) this.spans.push(received(span, service));
    }
    return { status: 200, body: "{}" };
  }

  /** Waits until `done(spans)` holds (at most `ms`), then returns the spans. */
  async waitFor(done: (spans: ReceivedSpan[]) => boolean, ms = 15_000): Promise<ReceivedSpan[]> {
    const until = Date.now() + ms;
    while (!done(this.spans)) {
      if (Date.now() > until) throw new Error(`the receiver did not get the spans expected within ${ms} ms; it has: ${this.spans.map((s) => s.name).join(", ")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.spans;
  }

  /** Spans about invocation `id` (its restate.invocation.id attribute). */
  of(id: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.attributes["restate.invocation.id"] === id);
  }
}

function received(span: any, service: string): ReceivedSpan {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: span.kind,
    startNs: BigInt(span.startTimeUnixNano),
    endNs: BigInt(span.endTimeUnixNano),
    attributes: flatten(span.attributes ?? []),
    links: (span.links ?? []).map((l: { traceId: string; spanId: string }) => ({ traceId: l.traceId, spanId: l.spanId })),
    ...(span.status ? { status: span.status } : {}),
    service,
  };
}

function flatten(attributes: KeyValue[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.boolValue ?? value.doubleValue ?? "";
  }
  return out;
}
