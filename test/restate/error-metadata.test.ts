/**
 * Issue #12: a TerminalError's metadata in the ingress error body, in
 * Restate 1.7's shape (checked against restate-server 1.7.12):
 * `{"code","message","metadata","source"}`, metadata keys sorted, no field
 * when there is no metadata or it is empty.
 */
import { describe, expect, it } from "vitest";
import { resultResponse } from "../../src/ingress/responses.js";

const failed = (metadata?: Record<string, string>) =>
  resultResponse({ invocationId: "inv_1x", ok: false, error: { name: "TerminalError", message: "no", code: 422, ...(metadata ? { metadata } : {}) } });

describe("issue #12: TerminalError metadata in the error body", () => {
  it("renders it between message and source, keys sorted", async () => {
    const res = failed({ b: "1", c: "2", a: "3", B: "4" });
    expect(res.status).toBe(422);
    expect(await res.text()).toBe('{"code":422,"message":"no","metadata":{"B":"4","a":"3","b":"1","c":"2"},"source":"invocation"}');
  });

  it("leaves the field out without metadata, or with an empty one", async () => {
    expect(await failed().text()).toBe('{"code":422,"message":"no","source":"invocation"}');
    expect(await failed({}).text()).toBe('{"code":422,"message":"no","source":"invocation"}');
  });
});
