import { describe, expect, it } from "vitest";
import {
  IngressError,
  errorResponse,
  httpStatusOf,
  lookupResponse,
  receiptResponse,
  resultResponse,
} from "../../src/ingress/responses.js";

/** Response bodies are `unknown` under workers-types; tests read them loosely. */
const json = (res: Response): Promise<any> => res.json();

const bytes = (text: string) => new TextEncoder().encode(text);

describe("errorResponse", () => {
  it("renders an ingress error as Restate's JSON with the error-source header", async () => {
    const res = errorResponse(new IngressError(404, "service 'x' not found"));
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-restate-error-source")).toBe("ingress");
    expect(await json(res)).toEqual({ code: 404, message: "service 'x' not found", source: "ingress" });
  });

  it("keeps the source and extra headers", async () => {
    const res = errorResponse(new IngressError(405, "no", { source: "invocation", headers: { allow: "GET" } }));
    expect(res.headers.get("allow")).toBe("GET");
    expect(res.headers.get("x-restate-error-source")).toBe("invocation");
    expect((await json(res)).source).toBe("invocation");
  });

  it("answers unexpected errors with 500, the first line of the message and no stack", async () => {
    const error = new Error("boom\n    at secret (file.ts:1:1)");
    const res = errorResponse(error);
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body).toEqual({ code: 500, message: "internal error: boom", source: "ingress" });
    expect(JSON.stringify(body)).not.toContain("at secret");
    expect(errorResponse("weird").status).toBe(500);
  });

  it("answers an overloaded Durable Object with 503 (retryable)", () => {
    expect(errorResponse(Object.assign(new Error("Durable Object is overloaded"), { overloaded: true })).status).toBe(503);
  });
});

describe("httpStatusOf", () => {
  it("uses codes 400-599 as the status and 500 otherwise", () => {
    for (const code of [400, 409, 418, 470, 599]) expect(httpStatusOf(code)).toBe(code);
    for (const code of [0, 200, 302, 399, 600, 1000, 418.5, Number.NaN]) expect(httpStatusOf(code)).toBe(500);
  });
});

describe("resultResponse", () => {
  it("renders success with the bytes, the content type and the invocation id", async () => {
    const res = resultResponse({ invocationId: "inv_1a.b", ok: true, value: bytes("hi"), contentType: "text/plain" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("x-restate-id")).toBe("inv_1a.b");
    expect(await res.text()).toBe("hi");
  });

  it("defaults the content type to JSON", () => {
    const res = resultResponse({ invocationId: "inv_1a.b", ok: true, value: bytes('"x"') });
    expect(res.headers.get("content-type")).toBe("application/json");
  });

  it("renders a terminal failure with its code as status and source invocation", async () => {
    const res = resultResponse({ invocationId: "inv_1a.b", ok: false, error: { name: "TerminalError", message: "teapot", code: 418 } });
    expect(res.status).toBe(418);
    expect(res.headers.get("x-restate-id")).toBe("inv_1a.b");
    expect(res.headers.get("x-restate-error-source")).toBe("invocation");
    expect(await json(res)).toEqual({ code: 418, message: "teapot", source: "invocation" });
  });

  it("answers 500 for a failure code that is not an HTTP error status, keeping the code in the body", async () => {
    const res = resultResponse({ invocationId: "inv_1a.b", ok: false, error: { name: "TerminalError", message: "odd", code: 1000 } });
    expect(res.status).toBe(500);
    expect((await json(res)).code).toBe(1000);
  });
});

describe("receiptResponse", () => {
  it("answers 202 with the id and status", async () => {
    const res = receiptResponse({ invocationId: "inv_1a.b", status: "Accepted" });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-restate-id")).toBe("inv_1a.b");
    expect(await json(res)).toEqual({ invocationId: "inv_1a.b", status: "Accepted" });
  });

  it("includes the execution time of a delayed send", async () => {
    const res = receiptResponse({ invocationId: "i", status: "PreviouslyAccepted", executionTime: "2030-01-01T00:00:00.000Z" });
    expect(await json(res)).toEqual({ invocationId: "i", status: "PreviouslyAccepted", executionTime: "2030-01-01T00:00:00.000Z" });
  });
});

describe("lookupResponse", () => {
  it("renders done, pending (470, ingress) and unknown (404, invocation)", async () => {
    const done = lookupResponse({ state: "done", result: { invocationId: "i", ok: true, value: bytes("1") } }, "i", "attach");
    expect(done.status).toBe(200);

    const pending = lookupResponse({ state: "pending", invocationId: "i" }, "i", "output");
    expect(pending.status).toBe(470);
    expect(await json(pending)).toEqual({ code: 470, message: "the invocation exists but has not completed yet", source: "ingress" });

    const unknown = lookupResponse({ state: "unknown" }, "i", "attach");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-restate-id")).toBe("i");
    expect(await json(unknown)).toEqual({ code: 404, message: "not found", source: "invocation" });
  });

  it("issue #10: an unknown invocation's output is Restate's 404 from the ingress", async () => {
    const unknown = lookupResponse({ state: "unknown" }, "i", "output");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-restate-error-source")).toBe("ingress");
    expect(await json(unknown)).toEqual({ code: 404, message: "invocation not found", source: "ingress" });
  });
});
