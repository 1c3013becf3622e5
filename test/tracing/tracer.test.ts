import { describe, expect, it } from "vitest";
import { Tracer, type InvocationFacts } from "../../src/tracing/tracer.js";
import { attemptSpanId, failedRunSpanId, invocationSpanId, stepSpanId } from "../../src/engine/trace-context.js";
import type { Entry } from "../../src/engine/types.js";
import { newRow, type InvocationRow } from "../../src/engine/invocation-row.js";
import type { Span } from "../../src/tracing/span.js";

const CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const CLIENT_SPAN = "b7ad6b7169203331";
const A = "inv_1a.x";
const FACTS: InvocationFacts = { invocationId: A, target: { service: "orders", handler: "place", key: "o1" }, headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` }, attempt: 1 };
const value = { value: new Uint8Array(0) };

/** The stored row of an invocation with these facts, admitted at `createdAt`. */
function row(facts: InvocationFacts, createdAt: number): InvocationRow {
  const req = { owner: "o", invocationId: facts.invocationId, target: facts.target, input: new Uint8Array(0), headers: { ...facts.headers }, invokedBy: "ingress" };
  return { ...newRow(1, req, true, "running", null, createdAt), attempts: facts.attempt - 1 };
}

/** A tracer on a hand-moved clock; `stored` plays the object's storage after a restart. */
function setup(stored: { facts?: InvocationFacts; entries?: Record<number, { entry: Entry; storedAt?: number }> } = {}) {
  const spans: Span[] = [];
  const clock = { t: 1000 };
  const tracer = new Tracer({
    now: () => clock.t,
    emit: (s) => spans.push(...s),
    lookup: (id) => (id === A ? stored.facts : undefined),
    entry: (_id, index) => stored.entries?.[index],
  });
  const byId = (id: string) => spans.find((s) => s.spanId === id);
  return { tracer, spans, clock, byId };
}

const run = (index: number, done = true): Entry => ({ index, type: "run", name: "charge", done, ...(done ? { completion: value } : {}) });
const call = (index: number): Entry => ({ index, type: "call", name: "stock/reserve", done: false, calleeId: "inv_1b.y" });

describe("the tracer", () => {
  it("makes the invocation, attempt and step spans of a run, parented invocation → attempt → step, in the caller's trace", () => {
    const { tracer, spans, clock, byId } = setup();
    tracer.attemptStarted({ ...FACTS, replayed: 0 });
    clock.t = 1010;
    tracer.stepStarted(A, 0, "run", "charge");
    tracer.stepStarted(A, 1, "getState", "n"); // not a span
    clock.t = 1020;
    tracer.entryRecorded(A, run(0));
    tracer.stepStarted(A, 2, "call", "stock/reserve");
    tracer.entryRecorded(A, call(2)); // waits: no span yet
    expect(spans.map((s) => s.name)).toEqual(["run charge"]);
    clock.t = 1050;
    tracer.entryCompleted(A, 2, value);
    tracer.attemptEnded({ ...FACTS, outcome: { kind: "success", value: new Uint8Array(0) } });
    tracer.invocationFinished(row(FACTS, 990), value);

    expect(spans.map((s) => s.name)).toEqual(["run charge", "call stock/reserve", "attempt", "orders/place"]);
    for (const s of spans) expect(s.traceId).toBe(CLIENT_TRACE);
    expect(byId(invocationSpanId(A))).toMatchObject({ parentSpanId: CLIENT_SPAN, kind: 2, startMs: 990, endMs: 1050, attributes: { "restate.invocation.id": A, "restate.invocation.target": "orders/o1/place", "restate.invocation.result": "success", "resolute.attempt": 1 } });
    expect(byId(attemptSpanId(A, 1))).toMatchObject({ parentSpanId: invocationSpanId(A), startMs: 1000, endMs: 1050, attributes: { "resolute.attempt": 1, "resolute.replayed": false } });
    expect(byId(stepSpanId(A, 0))).toMatchObject({ parentSpanId: attemptSpanId(A, 1), startMs: 1010, endMs: 1020, attributes: { "restate.run.name": "charge", "restate.journal.index": 0 } });
    expect(byId(stepSpanId(A, 2))).toMatchObject({ parentSpanId: attemptSpanId(A, 1), kind: 3, startMs: 1020, endMs: 1050 });
  });

  it("after a restart, ends a step it did not see start from storage, under the same ids, and exports no replayed step again", () => {
    // Before the restart: the run and the start of the call.
    const before = setup();
    before.tracer.attemptStarted({ ...FACTS, replayed: 0 });
    before.tracer.stepStarted(A, 0, "run", "charge");
    before.tracer.entryRecorded(A, run(0));
    before.tracer.stepStarted(A, 1, "call", "stock/reserve");
    before.tracer.entryRecorded(A, call(1));
    // A new process: the call's result arrives first, then the replay (same attempt number) finishes.
    const after = setup({ facts: FACTS, entries: { 1: { entry: call(1), storedAt: 1000 } } });
    after.clock.t = 5000;
    after.tracer.entryCompleted(A, 1, value);
    after.tracer.attemptStarted({ ...FACTS, replayed: 2 });
    after.tracer.entryRecorded(A, run(0)); // a replay records nothing; even if told, no span without a start
    after.tracer.attemptEnded({ ...FACTS, outcome: { kind: "success", value: new Uint8Array(0) } });
    after.tracer.invocationFinished(row(FACTS, 990), value);

    const all = [...before.spans, ...after.spans];
    expect(all.map((s) => s.name)).toEqual(["run charge", "call stock/reserve", "attempt", "orders/place"]);
    expect(new Set(all.map((s) => s.spanId)).size).toBe(all.length);
    expect(after.byId(stepSpanId(A, 1))).toMatchObject({ parentSpanId: attemptSpanId(A, 1), startMs: 1000, endMs: 5000 });
    expect(after.byId(attemptSpanId(A, 1))!.attributes).toMatchObject({ "resolute.replayed": true, "resolute.replayed_entries": 2 });
  });

  it("exports a run that failed its attempt as a span of its own, and the run that then succeeded under the next attempt", () => {
    const { tracer, spans, byId } = setup();
    tracer.attemptStarted({ ...FACTS, replayed: 0 });
    tracer.stepStarted(A, 0, "run", "charge");
    tracer.attemptEnded({ ...FACTS, outcome: { kind: "retry", error: { name: "Error", message: "card service down", code: 500 }, runIndex: 0 } });
    tracer.attemptStarted({ ...FACTS, attempt: 2, replayed: 0 });
    tracer.stepStarted(A, 0, "run", "charge");
    tracer.entryRecorded(A, run(0));
    expect(byId(failedRunSpanId(A, 0, 1))).toMatchObject({ parentSpanId: attemptSpanId(A, 1), status: { code: 2, message: "card service down" } });
    expect(byId(attemptSpanId(A, 1))).toMatchObject({ status: { code: 2 }, attributes: { "resolute.retry": true } });
    expect(byId(stepSpanId(A, 0))).toMatchObject({ parentSpanId: attemptSpanId(A, 2) });
    expect(spans).toHaveLength(3);
  });

  it("links an awakeable's span to the span that completed it", () => {
    const { tracer, byId } = setup();
    tracer.attemptStarted({ ...FACTS, replayed: 0 });
    tracer.stepStarted(A, 0, "awakeable", "");
    tracer.entryCompleted(A, 0, value, "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01");
    expect(byId(stepSpanId(A, 0))).toMatchObject({ name: "awakeable", links: [{ traceId: "1af7651916cd43dd8448eb211c80319c", spanId: "c7ad6b7169203331" }] });
  });

  it("ends the attempt in memory with a killed invocation", () => {
    const { tracer, spans } = setup();
    tracer.attemptStarted({ ...FACTS, replayed: 0 });
    tracer.invocationFinished(row(FACTS, 990), { failure: { name: "TerminalError", message: "killed", code: 409 } });
    expect(spans.map((s) => [s.name, s.status?.message])).toEqual([["attempt", "killed"], ["orders/place", "killed"]]);
  });

  it("exports nothing for a trace its caller did not sample, and roots an invocation without traceparent in a trace of its own", () => {
    const unsampled = setup();
    unsampled.tracer.attemptStarted({ ...FACTS, headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00` }, replayed: 0 });
    unsampled.tracer.stepStarted(A, 0, "run", "charge");
    unsampled.tracer.entryRecorded(A, run(0));
    expect(unsampled.spans).toEqual([]);
    const root = setup();
    root.tracer.invocationFinished(row({ ...FACTS, headers: {} }, 1), value);
    expect(root.spans[0]).not.toHaveProperty("parentSpanId");
    expect(root.spans[0]!.traceId).not.toBe(CLIENT_TRACE);
  });
});
