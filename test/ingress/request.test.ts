/** What ingress forwards to handlers (and stores with each invocation). */
import { describe, expect, test } from "vitest";
import { forwardedHeaders } from "../../src/ingress/request.js";

describe("forwardedHeaders", () => {
  test("keeps the request's own headers, drops credentials and transport/platform headers", () => {
    const headers = new Headers({
      "content-type": "application/json",
      "x-trace": "t-1",
      traceparent: "00-abc-def-01",
      "idempotency-key": "k",
      authorization: "Bearer secret",
      cookie: "a=b",
      host: "example.com",
      "content-length": "2",
      "accept-encoding": "gzip",
      "cf-connecting-ip": "1.2.3.4",
      "x-forwarded-for": "1.2.3.4",
      "mf-original-url": "http://x",
      "x-restateclient-retry-attempt": "1",
    });
    expect(forwardedHeaders(headers)).toEqual({
      "content-type": "application/json",
      "x-trace": "t-1",
      traceparent: "00-abc-def-01",
      "idempotency-key": "k",
    });
  });
});
