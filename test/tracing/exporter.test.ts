import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FLUSH_MS, MAX_BATCH, SETTLE_MS, MAX_QUEUED, SpanExporter, type Fetch } from "../../src/tracing/exporter.js";
import { SPAN_KIND, type Span } from "../../src/tracing/span.js";

const CONFIG = { url: "https://collector.example/v1/traces?token=secret", headers: { "api-key": "k" }, serviceName: "shop" };

function span(n: number): Span {
  return { traceId: "a".repeat(32), spanId: n.toString(16).padStart(16, "0"), name: `s${n}`, kind: SPAN_KIND.internal, startMs: 1, endMs: 2, attributes: {} };
}

/** A fetch that records requests and answers as told. */
function fakeFetch(answer: () => Promise<Response> = async () => new Response(null, { status: 200 })) {
  const requests: { url: string; init: RequestInit; spans: string[] }[] = [];
  const fetcher: Fetch = (url, init) => {
    const body = JSON.parse(init.body as string);
    requests.push({ url, init, spans: body.resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name) });
    return answer();
  };
  return { requests, fetcher };
}

describe("the span exporter", () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    vi.useFakeTimers();
    warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.useRealTimers();
    warn.mockRestore();
  });

  it("sends nothing in the pushing turn; batches what was pushed within FLUSH_MS into one POST", async () => {
    const { requests, fetcher } = fakeFetch();
    const exporter = new SpanExporter(CONFIG, fetcher);
    exporter.push([span(1)]);
    exporter.push([span(2), span(3)]);
    expect(requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.spans).toEqual(["s1", "s2", "s3"]);
    expect(requests[0]!.init.method).toBe("POST");
    expect(requests[0]!.init.headers).toEqual({ "api-key": "k", "content-type": "application/json" });
    expect(exporter.queued).toBe(0);
  });

  it("sends only spans pushed SETTLE_MS earlier (their objects' commits are done); the rest go next", async () => {
    const { requests, fetcher } = fakeFetch();
    const exporter = new SpanExporter(CONFIG, fetcher);
    exporter.push([span(1)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS - SETTLE_MS / 2);
    exporter.push([span(2)]);
    await vi.advanceTimersByTimeAsync(SETTLE_MS / 2);
    expect(requests.map((r) => r.spans)).toEqual([["s1"]]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(requests.map((r) => r.spans)).toEqual([["s1"], ["s2"]]);
  });

  it("sends at most MAX_BATCH spans a request, one request at a time", async () => {
    let release!: () => void;
    const { requests, fetcher } = fakeFetch(() => new Promise((r) => (release = () => r(new Response(null, { status: 200 })))));
    const exporter = new SpanExporter(CONFIG, fetcher);
    exporter.push(Array.from({ length: MAX_BATCH + 10 }, (_, i) => span(i)));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(requests.map((r) => r.spans.length)).toEqual([MAX_BATCH]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS * 3);
    expect(requests).toHaveLength(1); // the first is still in flight
    release();
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(requests.map((r) => r.spans.length)).toEqual([MAX_BATCH, 10]);
  });

  it("sends full batches back to back, without waiting FLUSH_MS between them", async () => {
    const { requests, fetcher } = fakeFetch();
    const exporter = new SpanExporter(CONFIG, fetcher);
    exporter.push(Array.from({ length: MAX_BATCH * 3 }, (_, i) => span(i)));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(requests.map((r) => r.spans.length)).toEqual([MAX_BATCH, MAX_BATCH, MAX_BATCH]);
  });

  it("drops a batch the collector refuses or cannot take, with one log line (no secrets), and never retries it", async () => {
    const answers = [async () => new Response("no", { status: 503 }), async () => Promise.reject(new Error("connection refused"))];
    const { requests, fetcher } = fakeFetch(() => answers.shift()!());
    const exporter = new SpanExporter(CONFIG, fetcher);
    exporter.push([span(1)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    exporter.push([span(2)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS * 5);
    expect(requests.map((r) => r.spans)).toEqual([["s1"], ["s2"]]);
    const lines = warn.mock.calls.map((c) => JSON.parse(c[0] as string).message as string);
    expect(lines).toEqual([
      "tracing: exporting 1 spans to https://collector.example/v1/traces failed (HTTP 503); they are dropped, not retried",
      "tracing: exporting 1 spans to https://collector.example/v1/traces failed (Error: connection refused); they are dropped, not retried",
    ]);
  });

  it("holds at most MAX_QUEUED spans and says how many it dropped", async () => {
    const { requests, fetcher } = fakeFetch();
    const exporter = new SpanExporter(CONFIG, fetcher);
    exporter.push(Array.from({ length: MAX_QUEUED + 5 }, (_, i) => span(i)));
    expect(exporter.queued).toBe(MAX_QUEUED);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(requests.reduce((n, r) => n + r.spans.length, 0)).toBe(MAX_QUEUED);
    expect(warn.mock.calls.map((c) => JSON.parse(c[0] as string).message)).toEqual([`tracing: 5 spans dropped: more than ${MAX_QUEUED} were waiting for the collector`]);
  });
});
