/**
 * issue #10: every input has a bounded, clear answer, on the real runtime with
 * the examples: delays, malformed encodings and ids, input that can never be
 * decoded or read. Each answer is `{code, message, source}` JSON, and nothing
 * bad is stored.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WorkerdRuntime, admin } from "../support/runtime.js";

let rt: WorkerdRuntime;
beforeAll(async () => {
  rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/examples-worker.ts" });
});
afterAll(() => rt?.dispose());

async function expectError(response: Promise<{ status: number; body: any; headers?: Headers }>, status: number, message: RegExp, source = "ingress") {
  const { status: got, body, headers } = await response;
  expect(got, JSON.stringify(body)).toBe(status);
  expect(body).toEqual({ code: status, message: expect.stringMatching(message), source });
  if (headers) expect(headers.get("x-restate-error-source")).toBe(source);
}

describe("delays", () => {
  test("a delay past the maximum is a 400 with the reason, and nothing is stored: the object's listing stays readable", async () => {
    await expectError(rt.post("/counter/delay-huge/add/send?delay=100000000000000000000ms", 1), 400, /^bad delay '100000000000000000000ms': it is longer than the maximum of 3153600000000 ms \(100 years\)$/);
    await expectError(rt.post(`/counter/delay-huge/add/send?delay=${"1".repeat(400)}ms`, 1), 400, /longer than the maximum/);
    const listed = await admin(rt, "objects/counter/delay-huge/invocations");
    expect(listed).toEqual({ status: 200, body: { invocations: [] } });
  });
});

describe("malformed encodings and ids", () => {
  test("bad percent-encoding on admin paths is a 400 JSON error, not an uncaught URIError", async () => {
    for (const path of ["invocations/%E0%A4%A", "objects/counter/%FF/state", "objects/%/k/invocations"]) {
      await expectError(admin(rt, path), 400, /is not valid percent-encoded UTF-8/);
    }
  });

  test("a malformed invocation id is Restate's 400 'bad invocation id', at ingress and admin", async () => {
    await expectError(rt.get("/restate/invocation/garbage/output"), 400, /^bad invocation id 'garbage': bad format/);
    await expectError(rt.get("/restate/invocation/inv_1%40%40/attach"), 400, /^bad invocation id 'inv_1@@'/);
    await expectError(admin(rt, "invocations/garbage"), 400, /^bad invocation id 'garbage'/);
    await expectError(admin(rt, "invocations/garbage/cancel", "PATCH"), 400, /^bad invocation id/);
  });

  test("an unknown idempotency key or workflow id is Restate's 404 from the ingress (output) or the invocation (attach)", async () => {
    await expectError(rt.get("/restate/invocation/greeter/greet/never-used/output"), 404, /^invocation not found$/);
    await expectError(rt.get("/restate/workflow/signup/nobody/output"), 404, /^invocation not found$/);
    await expectError(rt.get("/restate/workflow/signup/nobody/attach"), 404, /^not found$/, "invocation");
  });

  test("a path that is neither /svc/handler nor /obj/key/handler is Restate's 400 'bad path'", async () => {
    await expectError(rt.post("/greeter"), 400, /^bad path: \/greeter/);
    await expectError(rt.post("/counter/k"), 400, /^bad path, expected either \/:service-name\/:handler or \/:object-name\/:object-key\/:handler/);
    await expectError(rt.post("/greeter/greet/x/y"), 400, /^bad path, expected either/);
  });
});

describe("input that can never succeed", () => {
  test("a 10,000-deep JSON array is a 400 at once, not an invocation retried forever", async () => {
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    const response = await rt.fetch("/greeter/greet", { method: "POST", body: deep, headers: { "content-type": "application/json" } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: "Failed to deserialize input: the JSON is nested deeper than 1000 levels", source: "ingress" });
  });

  test("null (or any wrong shape) where an example reads fields is a terminal 400, not a retried TypeError", async () => {
    await expectError(rt.post("/trip/book", null), 400, /^Invalid value: \(root\): /, "invocation");
    await expectError(rt.post("/restaurant/prepare", { orderId: "o", items: "pizza" }), 400, /^Invalid value: items: /, "invocation");
    await expectError(rt.post("/counter/typed/add", "abc"), 400, /^Invalid value: \(root\): /, "invocation");
    expect((await rt.post("/counter/typed/add", 2)).body).toBe(2);
  });

  test("a body whose content type does not match the handler's is Restate's 400", async () => {
    const response = await rt.fetch("/greeter/greet", { method: "POST", body: '"Ada"' }); // fetch labels a string text/plain
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 400, source: "ingress", message: expect.stringMatching(/^input validation error: Content-type 'text\/plain;charset=UTF-8' does not match 'application\/json'/) });
  });
});
