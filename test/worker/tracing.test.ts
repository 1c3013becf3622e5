/**
 * Tracing on the real runtime (issue 13, the tracing outcome): spans reach a local
 * OTLP/HTTP receiver with their parent links across two objects and across a
 * restart; calls, sends (delayed too) and awakeable completions carry the trace;
 * log lines are JSON naming the invocation, target, attempt and trace; with
 * nothing configured, nothing is added to what handlers send.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime, admin, advance, eventually } from "../support/runtime.js";
import { OtlpReceiver, type ReceivedSpan } from "../support/otlp-receiver.js";
import { attemptSpanId, invocationSpanId, stepSpanId } from "../../src/engine/trace-context.js";

const ENTRY = "test/worker/fixtures/tracing-worker.ts";
const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
const HOUR = 3_600_000;

const named = (spans: ReceivedSpan[], id: string, name: string) => spans.filter((s) => s.attributes["restate.invocation.id"] === id && s.name === name);

/** The one span `name` of invocation `id` (fails listing what arrived otherwise). */
function one(spans: ReceivedSpan[], id: string, name: string): ReceivedSpan {
  const found = named(spans, id, name);
  expect(found, `one span "${name}" of ${id} among ${JSON.stringify(spans.map((s) => `${s.attributes["restate.invocation.id"]} ${s.name}`))}`).toHaveLength(1);
  return found[0]!;
}

/** The id of the invocation whose span `name` arrived (the callee a test did not start itself). */
const idOf = (spans: ReceivedSpan[], name: string): string => String(spans.find((s) => s.name === name)!.attributes["restate.invocation.id"]);

describe("tracing over OTLP/HTTP", () => {
  let receiver: OtlpReceiver;
  let rt: WorkerdRuntime;
  const output: string[] = [];
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const bindings = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "shop" };
    rt = await WorkerdRuntime.start({ entry: ENTRY, bindings, output: (line) => output.push(line) });
  });
  afterAll(async () => {
    await rt?.dispose();
    await receiver?.stop();
  });

  it("links spans to the client's traceparent and the callee's (another object) to the call, across a restart, each span once", async () => {
    const a = (await rt.post("/orders/o1/place/send", 3, { traceparent: TRACEPARENT })).body.invocationId as string;
    // Before the restart: A's run is exported, and B (stock/s-o1) is asleep for an hour.
    await receiver.waitFor((spans) => named(spans, a, "run reserve").length === 1);
    await eventually(async () => JSON.stringify((await admin(rt, "objects/stock/s-o1/invocations")).body).includes('"suspended"'));
    await rt.restart();
    await advance(rt, "o:stock:s-o1", HOUR);
    const spans = await receiver.waitFor((s) => named(s, a, "orders/place").length === 1);
    const b = idOf(spans, "stock/take");

    for (const s of [...receiver.of(a), ...receiver.of(b)]) expect([s.traceId, s.service]).toEqual([CLIENT_TRACE, "shop"]);
    const invocation = one(spans, a, "orders/place");
    expect(invocation).toMatchObject({ spanId: invocationSpanId(a), parentSpanId: CLIENT_SPAN, kind: 2 });
    expect(invocation.attributes).toMatchObject({ "restate.invocation.target": "orders/o1/place", "restate.invocation.result": "success" });
    // A's attempt 1 ran before the restart and was replayed after it: one span, marked replayed.
    const attempt = one(spans, a, "attempt");
    expect(attempt).toMatchObject({ spanId: attemptSpanId(a, 1), parentSpanId: invocation.spanId });
    expect(attempt.attributes).toMatchObject({ "resolute.attempt": 1, "resolute.replayed": true });
    expect(one(spans, a, "run reserve")).toMatchObject({ spanId: stepSpanId(a, 0), parentSpanId: attempt.spanId });
    const call = one(spans, a, "call stock/s-o1/take");
    expect(call).toMatchObject({ spanId: stepSpanId(a, 1), parentSpanId: attempt.spanId, kind: 3 });
    expect(call.attributes).not.toHaveProperty("resolute.start_unknown"); // its start was read back from storage
    // The callee, in another Durable Object, hangs under the call; its sleep spans the restart.
    expect(one(spans, b, "stock/take")).toMatchObject({ spanId: invocationSpanId(b), parentSpanId: call.spanId });
    const calleeAttempt = one(spans, b, "attempt");
    const sleep = one(spans, b, "sleep");
    expect(sleep.parentSpanId).toBe(calleeAttempt.spanId);
    expect(sleep.endNs - sleep.startNs).toBeGreaterThanOrEqual(BigInt(HOUR) * 1_000_000n);
    expect(one(spans, b, "run count").parentSpanId).toBe(calleeAttempt.spanId);
    const ids = [...receiver.of(a), ...receiver.of(b)].map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("starts a trace of its own for a request without traceparent, and carries it through a call and a delayed send", async () => {
    const response = await rt.post("/orders/o2/notify", 1);
    const a = response.headers.get("x-restate-id")!;
    const spans = await receiver.waitFor((s) => named(s, a, "orders/notify").length === 1);
    const root = one(spans, a, "orders/notify");
    expect(root).not.toHaveProperty("parentSpanId");
    expect(root.traceId).not.toBe(CLIENT_TRACE);
    // The call's callee saw a traceparent naming the call's span (entry 1); the delayed send's will name entry 0.
    expect(response.body).toBe(`00-${root.traceId}-${stepSpanId(a, 1)}-01`);
    expect(one(spans, a, "send stock/later-o2/note")).toMatchObject({ spanId: stepSpanId(a, 0), kind: 4 });
    await advance(rt, "o:stock:later-o2", 60_000);
    await eventually(async () => (await rt.get("/stock/later-o2/seen")).body === `00-${root.traceId}-${stepSpanId(a, 0)}-01`);
    const later = await receiver.waitFor((s) => s.some((x) => x.name === "stock/note" && x.parentSpanId === stepSpanId(a, 0)));
    expect(later.find((x) => x.name === "stock/note" && x.parentSpanId === stepSpanId(a, 0))!.traceId).toBe(root.traceId);
  });

  it("gives each attempt its span, and the run that failed the first attempt one of its own", async () => {
    const a = (await rt.post("/flaky/f1/go/send", undefined)).body.invocationId as string;
    const spans = await receiver.waitFor((s) => named(s, a, "flaky/go").length === 1);
    const attempts = named(spans, a, "attempt").sort((x, y) => Number(x.attributes["resolute.attempt"]) - Number(y.attributes["resolute.attempt"]));
    expect(attempts.map((s) => [s.spanId, s.status?.code ?? 0, s.attributes["resolute.retry"] ?? false])).toEqual([
      [attemptSpanId(a, 1), 2, true],
      [attemptSpanId(a, 2), 0, false],
    ]);
    const runs = named(spans, a, "run try");
    expect(runs.map((s) => [s.parentSpanId, s.status?.message])).toEqual([
      [attemptSpanId(a, 1), "the first try fails"],
      [attemptSpanId(a, 2), undefined],
    ]);
    expect(runs[1]!.spanId).toBe(stepSpanId(a, 0));
    expect(one(spans, a, "flaky/go").attributes).toMatchObject({ "resolute.attempt": 2, "restate.invocation.result": "success" });
  });

  it("links an awakeable's span to the handler's span that completed it", async () => {
    const a = (await rt.post("/waiter/w1/byHandler", undefined)).headers.get("x-restate-id")!;
    const spans = await receiver.waitFor((s) => named(s, a, "awakeable").length === 1 && s.some((x) => x.name.startsWith("completeAwakeable")));
    const completer = spans.find((x) => x.name.startsWith("completeAwakeable"))!;
    expect(completer.kind).toBe(4);
    expect(one(spans, a, "awakeable").links).toEqual([{ traceId: completer.traceId, spanId: completer.spanId }]);
  });

  it("links an awakeable's span to the traceparent of the ingress request that completed it", async () => {
    const a = (await rt.post("/waiter/w2/byIngress/send", undefined)).body.invocationId as string;
    const id = await eventually(async () => (await rt.get("/waiter/w2/id")).body as string | null);
    const resolved = await rt.post(`/restate/awakeables/${id}/resolve`, "ok", { traceparent: TRACEPARENT });
    expect(resolved.status).toBe(202);
    const spans = await receiver.waitFor((s) => named(s, a, "awakeable").length === 1);
    expect(one(spans, a, "awakeable").links).toEqual([{ traceId: CLIENT_TRACE, spanId: CLIENT_SPAN }]);
  });

  it("writes log lines as JSON with the invocation id, target, attempt and trace ids", async () => {
    const a = (await rt.post("/orders/o3/place/send", 5, { traceparent: TRACEPARENT })).body.invocationId as string;
    const line = await eventually(async () => output.map(parseLine).find((l) => l?.invocationId === a && l.message === "reserved 5"));
    expect(line).toEqual({ level: "info", invocationId: a, target: "orders/o3/place", attempt: 1, traceId: CLIENT_TRACE, spanId: attemptSpanId(a, 1), message: "reserved 5" });
  });

  it("drops spans the collector refuses, with a log line, and answers as before", async () => {
    receiver.status = 503;
    try {
      const response = await rt.post("/orders/o4/notify", 1);
      expect(response.status).toBe(200);
      await eventually(async () => output.some((l) => l.includes("tracing: exporting") && l.includes("failed (HTTP 503); they are dropped, not retried")));
    } finally {
      receiver.status = 200;
    }
  });
});

describe("tracing off (nothing configured)", () => {
  let receiver: OtlpReceiver;
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    rt = await WorkerdRuntime.start({ entry: ENTRY });
  });
  afterAll(async () => {
    await rt?.dispose();
    await receiver?.stop();
  });

  it("adds no traceparent to what handlers send, keeps the client's out of callees, and sends no span", async () => {
    const response = await rt.post("/orders/o1/notify", 1, { traceparent: TRACEPARENT });
    expect(response.status).toBe(200);
    expect(response.body).toBeNull();
    await new Promise((r) => setTimeout(r, 1_500)); // longer than the exporter's FLUSH_MS, had it run
    expect(receiver.requests).toHaveLength(0);
  });
});

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(line.slice(line.indexOf("{")));
    return typeof parsed === "object" && parsed ? parsed : undefined;
  } catch {
    return undefined;
  }
}
