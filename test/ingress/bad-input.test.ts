/**
 * issue #10: every input has a bounded, clear answer at ingress — content types
 * as Restate 1.7 checks them, JSON that could never be decoded, delays, and the
 * limits on what is stored with an invocation. Nothing here reaches an object.
 */
import { describe, expect, it } from "vitest";
import { createIngress } from "../../src/ingress/router.js";
import { MAX_DELAY_MS } from "../../sdk/duration.js";
import { MAX_FORWARDED_HEADERS, MAX_FORWARDED_HEADER_BYTES, MAX_IDEMPOTENCY_KEY_BYTES, MAX_JSON_DEPTH, MAX_URL_LENGTH } from "../../src/ingress/limits.js";
import { jsonDepth } from "../../src/ingress/input.js";
import { registry } from "./fixtures.js";
import { expectError, fakeEnv, request } from "./fake-env.js";

const ingress = createIngress({ registry: registry(), serviceShards: 4, workflowShards: 8, maxBodyBytes: 1024 * 1024 });

const post = (path: string, body: string | undefined, headers: Record<string, string> = {}) =>
  request(path, { method: "POST", ...(body !== undefined ? { body } : {}), headers });

describe("content types (Restate 1.7's rule)", () => {
  it("refuses a body whose media type does not match the handler's, with Restate's message", async () => {
    const { env, calls } = fakeEnv();
    await expectError(await ingress(post("/greeter/greet", '"x"', { "content-type": "text/plain" }), env), 400, "input validation error: Content-type 'text/plain' does not match 'application/json'");
    await expectError(await ingress(post("/greeter/greet/send", '"x"', { "content-type": "application/x-www-form-urlencoded" }), env), 400, /does not match 'application\/json'/);
    await expectError(await ingress(post("/greeter/upload", "x", { "content-type": "application/json" }), env), 400, /does not match 'application\/octet-stream'/);
    // Restate checks the header even when the body is empty.
    await expectError(await ingress(post("/greeter/greet", undefined, { "content-type": "text/plain" }), env), 400, /does not match/);
    expect(calls).toHaveLength(0);
  });

  it("refuses a body without a content type, but not an empty request", async () => {
    const { env, calls } = fakeEnv();
    const bare = new Request("http://resolute.test/greeter/greet", { method: "POST", body: new TextEncoder().encode('"x"') });
    expect(bare.headers.get("content-type")).toBeNull();
    await expectError(await ingress(bare, env), 400, "input validation error: Empty content-type");
    expect(calls).toHaveLength(0);
    expect((await ingress(post("/greeter/greet", undefined), env)).status).toBe(200);
    expect((await ingress(request("/greeter/greet"), env)).status).toBe(200);
  });

  it("ignores parameters and case, and follows the handler's accept pattern", async () => {
    const { env, calls } = fakeEnv();
    for (const [path, type] of [
      ["/greeter/greet", "application/json; charset=utf-8"],
      ["/greeter/greet", "Application/JSON"],
      ["/greeter/upload", "application/octet-stream"],
      ["/greeter/note", "text/csv"],
      ["/greeter/note", "text/plain;charset=UTF-8"],
    ] as const) {
      expect((await ingress(post(path, '"x"', { "content-type": type }), env)).status, `${path} ${type}`).toBe(200);
    }
    expect(calls).toHaveLength(5);
    await expectError(await ingress(post("/greeter/note", "x", { "content-type": "application/json" }), env), 400, /does not match 'text\/\*'/);
  });
});

describe("JSON that can never be decoded", () => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels before anything is stored`, async () => {
    const { env, calls } = fakeEnv();
    await expectError(await ingress(post("/greeter/greet", nested(10_000)), env), 400, `Failed to deserialize input: the JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
    await expectError(await ingress(post("/counter/k/add/send", nested(MAX_JSON_DEPTH + 1)), env), 400, /nested deeper/);
    expect(calls).toHaveLength(0);
    expect((await ingress(post("/greeter/greet", nested(MAX_JSON_DEPTH)), env)).status).toBe(200);
  });

  it("counts brackets outside strings only", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(jsonDepth(bytes('{"a":[[1]],"b":"[[[[\\"[["}'), 10)).toBe(3);
    expect(jsonDepth(bytes(nested(50)), 10)).toBe(11); // stops counting past the bound
  });
});

describe("delays", () => {
  it("refuses a delay longer than MAX_DELAY_MS, or too long to be a number, with the reason", async () => {
    const { env, calls } = fakeEnv();
    for (const delay of ["100000000000000000000ms", `${"1".repeat(400)}ms`, "P40000D", "36501d"]) {
      await expectError(await ingress(post(`/counter/k/add/send?delay=${delay}`, "1"), env), 400, /longer than the maximum of 3153600000000 ms \(100 years\)/);
    }
    expect(calls).toHaveLength(0);
    expect((await ingress(post("/counter/k/add/send?delay=36500d", "1"), env)).status).toBe(202);
    expect(MAX_DELAY_MS).toBe(36_500 * 86_400_000);
  });
});

describe("the limits on what is stored with an invocation", () => {
  it("refuses an idempotency key over the limit with 400", async () => {
    const { env, calls } = fakeEnv();
    const key = "k".repeat(MAX_IDEMPOTENCY_KEY_BYTES + 1);
    await expectError(await ingress(post("/greeter/greet", '"x"', { "idempotency-key": key }), env), 400, `more than the limit of ${MAX_IDEMPOTENCY_KEY_BYTES}`);
    expect(calls).toHaveLength(0);
  });

  it("refuses too many or too large headers with 431", async () => {
    const { env, calls } = fakeEnv();
    const many = Object.fromEntries(Array.from({ length: MAX_FORWARDED_HEADERS + 1 }, (_, i) => [`x-h${i}`, "v"]));
    await expectError(await ingress(post("/greeter/greet", '"x"', many), env), 431, `${MAX_FORWARDED_HEADERS + 2} headers, more than the limit of ${MAX_FORWARDED_HEADERS}`);
    await expectError(await ingress(post("/greeter/greet", '"x"', { "x-big": "v".repeat(MAX_FORWARDED_HEADER_BYTES) }), env), 431, /bytes of headers, more than the limit/);
    expect(calls).toHaveLength(0);
  });

  it("refuses a URL over the limit with 414", async () => {
    const { env, calls } = fakeEnv();
    await expectError(await ingress(post(`/counter/${"k".repeat(MAX_URL_LENGTH)}/add`, "1"), env), 414, `more than the limit of ${MAX_URL_LENGTH}`);
    expect(calls).toHaveLength(0);
  });
});
