import { describe, expect, it } from "vitest";
import { encodeSpans } from "../../src/tracing/otlp.js";
import { SPAN_KIND, STATUS_CODE } from "../../src/tracing/span.js";

describe("OTLP/HTTP JSON", () => {
  it("nests spans under the resource and scope, with hex ids, ns times as strings and typed attributes", () => {
    const body = JSON.parse(
      encodeSpans({ serviceName: "shop" }, [
        {
          traceId: "0af7651916cd43dd8448eb211c80319c",
          spanId: "b7ad6b7169203331",
          parentSpanId: "00f067aa0ba902b7",
          name: "run charge",
          kind: SPAN_KIND.internal,
          startMs: 1_718_000_000_123,
          endMs: 1_718_000_000_125.5,
          attributes: { s: "x", i: 3, d: 1.5, b: true },
          links: [{ traceId: "1af7651916cd43dd8448eb211c80319c", spanId: "c7ad6b7169203331" }],
          status: { code: STATUS_CODE.error, message: "boom" },
        },
      ]),
    );
    const resource = body.resourceSpans[0];
    expect(resource.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "shop" } });
    expect(resource.scopeSpans[0].scope.name).toBe("resolute");
    expect(resource.scopeSpans[0].spans).toEqual([
      {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        parentSpanId: "00f067aa0ba902b7",
        name: "run charge",
        kind: 1,
        startTimeUnixNano: "1718000000123000000",
        endTimeUnixNano: "1718000000125500000",
        attributes: [
          { key: "s", value: { stringValue: "x" } },
          { key: "i", value: { intValue: "3" } },
          { key: "d", value: { doubleValue: 1.5 } },
          { key: "b", value: { boolValue: true } },
        ],
        links: [{ traceId: "1af7651916cd43dd8448eb211c80319c", spanId: "c7ad6b7169203331", attributes: [] }],
        status: { code: 2, message: "boom" },
      },
    ]);
  });

  it("leaves out what a span does not have (a root has no parentSpanId)", () => {
    const span = JSON.parse(encodeSpans({ serviceName: "s" }, [{ traceId: "a".repeat(32), spanId: "b".repeat(16), name: "n", kind: SPAN_KIND.server, startMs: 2, endMs: 1, attributes: {} }])).resourceSpans[0].scopeSpans[0].spans[0];
    expect(Object.keys(span).sort()).toEqual(["attributes", "endTimeUnixNano", "kind", "name", "spanId", "startTimeUnixNano", "traceId"]);
    expect(span.endTimeUnixNano).toBe(span.startTimeUnixNano); // never ends before it starts
  });
});
