import { describe, expect, it } from "vitest";
import {
  OutgoingTrace,
  attemptSpanId,
  failedRunSpanId,
  formatTraceparent,
  invocationSpanId,
  parseTraceparent,
  stepSpanId,
  traceOf,
} from "../../src/engine/trace-context.js";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("traceparent", () => {
  it("parses the W3C example and formats it back", () => {
    const p = parseTraceparent(PARENT)!;
    expect(p).toEqual({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", sampled: true });
    expect(formatTraceparent(p.traceId, p.spanId, p.sampled)).toBe(PARENT);
    expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")!.sampled).toBe(false);
  });

  it.each([
    ["garbage"],
    [""],
    ["00-abc-def-01"],
    ["00-00000000000000000000000000000000-b7ad6b7169203331-01"],
    ["00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"],
    ["ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
    ["00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"],
    ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"],
  ])("ignores the malformed %j", (value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it("accepts a later version with more fields after the flags", () => {
    expect(parseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what")?.spanId).toBe("b7ad6b7169203331");
  });
});

describe("an invocation's trace", () => {
  it("continues the trace of its traceparent, with the caller's span as parent", () => {
    expect(traceOf("inv_1a.b", { traceparent: PARENT, tracestate: "k=v" })).toEqual({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      parentSpanId: "b7ad6b7169203331",
      sampled: true,
      tracestate: "k=v",
    });
  });

  it("without one (or with a malformed one) is the root of a trace derived from its id: the same after a restart", () => {
    const a = traceOf("inv_1a.b", {});
    expect(a).toEqual({ traceId: expect.stringMatching(/^[0-9a-f]{32}$/), sampled: true });
    expect(traceOf("inv_1a.b", { traceparent: "garbage" })).toEqual(a);
    expect(traceOf("inv_1a.c", {}).traceId).not.toBe(a.traceId);
  });

  it("has span ids derived from the invocation id, attempt and journal index: valid, stable and distinct", () => {
    const ids = [invocationSpanId("inv_1a.b"), attemptSpanId("inv_1a.b", 1), attemptSpanId("inv_1a.b", 2), stepSpanId("inv_1a.b", 1), stepSpanId("inv_1a.b", 2), failedRunSpanId("inv_1a.b", 1, 1), invocationSpanId("inv_1a.c")];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(stepSpanId("inv_1a.b", 2)).toBe(stepSpanId("inv_1a.b", 2));
  });
});

describe("what calls and sends carry", () => {
  it("a traceparent naming the step's span as parent, in the invocation's trace, replacing the handler's own", () => {
    const outgoing = new OutgoingTrace("inv_1a.b", new Map([["traceparent", PARENT], ["tracestate", "k=v"]]));
    const headers = outgoing.headers({ "x-user": "1", TraceParent: "00-11111111111111111111111111111111-2222222222222222-01" }, 3);
    expect(headers).toEqual({ "x-user": "1", traceparent: `00-0af7651916cd43dd8448eb211c80319c-${stepSpanId("inv_1a.b", 3)}-01`, tracestate: "k=v" });
  });

  it("keeps an unsampled caller's decision", () => {
    const outgoing = new OutgoingTrace("inv_1a.b", new Map([["traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"]]));
    expect(outgoing.traceparent(1)).toMatch(/-00$/);
  });
});
