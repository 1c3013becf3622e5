import { describe, expect, it, vi } from "vitest";
import type { Delivery, InvokeRequest } from "../../src/durable/protocol.js";
import { objectNameOf } from "../../src/engine/addressing.js";
import { makeAwakeableId, makeInvocationId, ownerName } from "../../src/engine/ids.js";
import { createIngress, createIngressRouter } from "../../src/ingress/router.js";
import { registry } from "./fixtures.js";
import { MAX_BODY, expectError, fakeEnv, json, request } from "./fake-env.js";

const ingress = createIngress({ registry: registry(), serviceShards: 4, workflowShards: 8, maxBodyBytes: MAX_BODY });

describe("invoke", () => {
  it("forwards a call to the owner with the target, input and filtered headers", async () => {
    const { env, calls } = fakeEnv();
    const res = await ingress(
      request("/counter/a%2Fb/add", { method: "POST", body: "5", headers: { "x-trace": "t", authorization: "Bearer s", cookie: "c=1" } }),
      env,
    );
    expect(res.status).toBe(200);
    expect(await json(res)).toBe("ok");
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    const req = call.args[0] as InvokeRequest;
    expect(call).toMatchObject({ owner: ownerName("o", "counter", "a/b"), method: "invoke" });
    expect(res.headers.get("x-restate-id")).toBe(req.invocationId);
    expect(req).toMatchObject({ owner: call.owner, target: { service: "counter", key: "a/b", handler: "add" }, invokedBy: "ingress" });
    expect(new TextDecoder().decode(req.input)).toBe("5");
    expect(req.headers["x-trace"]).toBe("t");
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers.cookie).toBeUndefined();
  });

  it("accepts GET with an empty input and refuses other methods with 405", async () => {
    const { env, calls } = fakeEnv();
    expect((await ingress(request("/greeter/greet"), env)).status).toBe(200);
    expect((calls[0]!.args[0] as InvokeRequest).input.byteLength).toBe(0);
    const res = await ingress(request("/greeter/greet", { method: "PUT", body: "1" }), env);
    await expectError(res, 405, /PUT not allowed/);
    expect(res.headers.get("allow")).toBe("POST, GET");
  });

  it("answers unknown services, unknown handlers and private handlers with 404", async () => {
    const { env, calls } = fakeEnv();
    await expectError(await ingress(request("/nope/x", { method: "POST" }), env), 404, /service 'nope' not found.*Known services: greeter, counter, signup/);
    await expectError(await ingress(request("/greeter/x", { method: "POST" }), env), 404, /handler 'greeter\/x' not found/);
    await expectError(await ingress(request("/greeter/secret", { method: "POST" }), env), 404, /is private/);
    expect(calls).toHaveLength(0);
  });

  it("refuses bodies over the limit, by content-length and by actual size", async () => {
    const { env, calls } = fakeEnv();
    const big = "1".repeat(MAX_BODY + 1);
    await expectError(await ingress(request("/greeter/greet", { method: "POST", body: big }), env), 413, /larger than the limit/);
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big.slice(0, 40)));
        c.enqueue(new TextEncoder().encode(big.slice(40)));
        c.close();
      },
    });
    const streamed = request("/greeter/greet", { method: "POST", body: stream, duplex: "half" });
    expect(streamed.headers.get("content-length")).toBeNull();
    await expectError(await ingress(streamed, env), 413, /larger than the limit of 64 bytes/);
    expect(calls).toHaveLength(0);
  });

  it("refuses malformed JSON for JSON handlers without contacting the object, but not for binary ones", async () => {
    const { env, calls } = fakeEnv();
    await expectError(await ingress(request("/greeter/greet", { method: "POST", body: "{nope" }), env), 400, /^Failed to deserialize input: /);
    expect(calls).toHaveLength(0);
    expect((await ingress(request("/greeter/upload", { method: "POST", body: "{nope", headers: { "content-type": "application/octet-stream" } }), env)).status).toBe(200);
  });

  it("renders a handler's terminal failure with its code", async () => {
    const { env } = fakeEnv({ invoke: async (req) => ({ invocationId: req.invocationId, ok: false, error: { name: "TerminalError", message: "teapot", code: 418 } }) });
    await expectError(await ingress(request("/greeter/greet", { method: "POST", body: '"x"' }), env), 418, "teapot", "invocation");
  });

  it("turns a thrown RPC error into a 500 without a stack, and logs it", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const { env } = fakeEnv({ invoke: async () => { throw new Error("storage exploded\n at x.ts:1"); } });
    const res = await ingress(request("/greeter/greet", { method: "POST" }), env);
    await expectError(res, 500, "internal error: storage exploded");
    expect(log).toHaveBeenCalledOnce();
    log.mockRestore();
  });

  it("uses the idempotency key for the id: duplicates reach the same owner with the same id", async () => {
    const { env, calls } = fakeEnv();
    const headers = { "idempotency-key": "k1" };
    await ingress(request("/greeter/greet", { method: "POST", headers }), env);
    await ingress(request("/greeter/greet", { method: "POST", headers }), env);
    await ingress(request("/greeter/greet", { method: "POST", headers: { "idempotency-key": "k2" } }), env);
    const [a, b, c] = calls.map((call) => call.args[0] as InvokeRequest);
    expect(b!.invocationId).toBe(a!.invocationId);
    expect(b!.owner).toBe(a!.owner);
    expect(a!.idempotencyKey).toBe("k1");
    expect(c!.invocationId).not.toBe(a!.invocationId);
  });
});

describe("send", () => {
  it("answers 202 with the receipt and forwards ?delay= in ms", async () => {
    const { env, calls } = fakeEnv({ send: async (req) => ({ invocationId: req.invocationId, status: "Accepted", executionTime: "2030-01-01T00:00:00.000Z" }) });
    const res = await ingress(request("/counter/k/add/send?delay=1500ms", { method: "POST", body: "1" }), env);
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toMatchObject({ status: "Accepted", executionTime: "2030-01-01T00:00:00.000Z" });
    expect(res.headers.get("x-restate-id")).toBe(body.invocationId);
    expect(calls[0]!.method).toBe("send");
    expect((calls[0]!.args[0] as InvokeRequest).delayMs).toBe(1500);
  });

  it("accepts 10s, 5m and ISO 8601 delays", async () => {
    const { env, calls } = fakeEnv();
    for (const delay of ["10s", "5m", "PT1M30S"]) await ingress(request(`/greeter/greet/send?delay=${delay}`, { method: "POST" }), env);
    expect(calls.map((c) => (c.args[0] as InvokeRequest).delayMs)).toEqual([10_000, 300_000, 90_000]);
  });

  it("refuses a bad delay, and a delay on a call, with 400", async () => {
    const { env, calls } = fakeEnv();
    await expectError(await ingress(request("/greeter/greet/send?delay=soon", { method: "POST" }), env), 400, /bad delay 'soon'/);
    await expectError(await ingress(request("/greeter/greet?delay=1s", { method: "POST" }), env), 400, /only allowed on a one-way send/);
    expect(calls).toHaveLength(0);
  });

  it("sends a workflow run to its fixed id, in the workflow's shard object", async () => {
    const { env, calls } = fakeEnv();
    await ingress(request("/signup/u1/run/send", { method: "POST", body: '"a@b"' }), env);
    const owner = ownerName("w", "signup", "u1");
    expect(calls[0]).toMatchObject({ owner: objectNameOf(owner, 8), method: "send" });
    expect(objectNameOf(owner, 8)).toMatch(/^wf-shard:signup:[0-7]$/);
    expect((calls[0]!.args[0] as InvokeRequest).invocationId).toBe(makeInvocationId(owner, "run"));
  });
});

describe("attach and output", () => {
  it("looks up by invocation id at the id's owner", async () => {
    const id = makeInvocationId(ownerName("o", "counter", "k"), "abc");
    const { env, calls } = fakeEnv({ attach: async () => ({ state: "done", result: { invocationId: id, ok: true, value: new TextEncoder().encode("7") } }) });
    const res = await ingress(request(`/restate/invocation/${id}/attach`), env);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("7");
    expect(calls[0]).toEqual({ owner: ownerName("o", "counter", "k"), method: "attach", args: [ownerName("o", "counter", "k"), id] });
  });

  it("issue #10: answers Restate's 400 'bad invocation id' for an id that is not ours, without contacting anyone", async () => {
    const { env, calls } = fakeEnv();
    for (const action of ["output", "attach"]) {
      await expectError(await ingress(request(`/restate/invocation/inv_bogus/${action}`), env), 400, /^bad invocation id 'inv_bogus': bad format/);
      await expectError(await ingress(request(`/restate/invocation/garbage/${action}`), env), 400, /^bad invocation id 'garbage'/);
    }
    expect(calls).toHaveLength(0);
  });

  it("issue #10: answers 470 for output of a running invocation; an unknown one is 404 from the ingress (output) or the invocation (attach)", async () => {
    const id = makeInvocationId(ownerName("o", "counter", "k"), "abc");
    const pending = fakeEnv({ output: async () => ({ state: "pending", invocationId: id }) });
    await expectError(await ingress(request(`/restate/invocation/${id}/output`), pending.env), 470, "the invocation exists but has not completed yet");
    const unknown = fakeEnv();
    await expectError(await ingress(request(`/restate/invocation/${id}/output`), unknown.env), 404, "invocation not found", "ingress");
    await expectError(await ingress(request("/restate/invocation/greeter/greet/nokey/output"), unknown.env), 404, "invocation not found", "ingress");
    await expectError(await ingress(request("/restate/workflow/signup/nobody/output"), unknown.env), 404, "invocation not found", "ingress");
    await expectError(await ingress(request(`/restate/invocation/${id}/attach`), unknown.env), 404, "not found", "invocation");
  });

  it("finds an invocation by idempotency key under the id the invoke used", async () => {
    const { env, calls } = fakeEnv();
    await ingress(request("/counter/a%2Fb/add/send", { method: "POST", body: "1", headers: { "idempotency-key": "k9" } }), env);
    await ingress(request("/restate/invocation/counter/a%2Fb/add/k9/attach"), env);
    const sent = calls[0]!.args[0] as InvokeRequest;
    // The target and key go along: the owner answers only a row of theirs (a colliding id's row is another request's).
    const expected = { target: { service: "counter", handler: "add", key: "a/b" }, idempotencyKey: "k9" };
    expect(calls[1]).toEqual({ owner: sent.owner, method: "attach", args: [sent.owner, sent.invocationId, expected] });
  });

  it("finds a workflow's run by workflow id", async () => {
    const { env, calls } = fakeEnv();
    const res = await ingress(request("/restate/workflow/signup/u1/output"), env);
    const owner = ownerName("w", "signup", "u1");
    expect(calls[0]).toEqual({ owner: objectNameOf(owner, 8), method: "output", args: [owner, makeInvocationId(owner, "run")] });
    expect(res.headers.get("x-restate-id")).toBe(makeInvocationId(owner, "run"));
  });

  it("refuses POST on attach", async () => {
    const { env } = fakeEnv();
    await expectError(await ingress(request("/restate/workflow/signup/u1/attach", { method: "POST" }), env), 405, /use GET/);
  });
});

describe("awakeables", () => {
  const owner = ownerName("o", "counter", "k");
  const secret = "s".repeat(22);
  const awakeableId = makeAwakeableId(makeInvocationId(owner, "abc"), 3, secret);

  it("delivers a resolve with the raw body and answers 202", async () => {
    const { env, calls } = fakeEnv();
    const res = await ingress(request(`/restate/a/${awakeableId}/resolve`, { method: "POST", body: '{"x":1}' }), env);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    const [address, completion] = calls[0]!.args as [unknown, { value: Uint8Array }];
    expect(calls[0]).toMatchObject({ owner, method: "completeAwakeable" });
    expect(address).toEqual({ owner, invocationId: makeInvocationId(owner, "abc"), index: 3, secret });
    expect(new TextDecoder().decode(completion.value)).toBe('{"x":1}');
  });

  it("delivers a reject as a terminal failure with the body as reason", async () => {
    const { env, calls } = fakeEnv();
    const res = await ingress(request(`/restate/awakeables/${awakeableId}/reject`, { method: "POST", body: "bad thing" }), env);
    expect(res.status).toBe(202);
    expect(calls[0]!.args[1]).toMatchObject({ failure: { name: "TerminalError", message: "bad thing", code: 500 } });
  });

  it("issue #10: answers 404 when the owner refuses the id (no awakeable of a live invocation has it)", async () => {
    const { env } = fakeEnv({ completeAwakeable: async () => "refused" });
    await expectError(await ingress(request(`/restate/a/${awakeableId}/resolve`, { method: "POST" }), env), 404, /not found/);
  });

  it("issue #10: answers an id without a secret (the old, computable form) with 400, asking no object", async () => {
    const { env, calls } = fakeEnv();
    const old = makeAwakeableId(makeInvocationId(owner, "abc"), 3, null);
    await expectError(await ingress(request(`/restate/a/${old}/resolve`, { method: "POST" }), env), 400, /no secret part/);
    expect(calls).toHaveLength(0);
  });

  it("answers a bad id with 400", async () => {
    const { env, calls } = fakeEnv();
    await expectError(await ingress(request("/restate/a/prom_1xyz/resolve", { method: "POST" }), env), 400, "bad awakeable id 'prom_1xyz': unrecognized codec version");
    expect(calls).toHaveLength(0);
  });
});

describe("routing", () => {
  it("answers health", async () => {
    const res = await ingress(request("/restate/health"), fakeEnv().env);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: "ok" });
  });

  it("answers unknown paths and bad encodings with JSON errors", async () => {
    const { env } = fakeEnv();
    await expectError(await ingress(request("/restate/nope"), env), 404, /no route/);
    await expectError(await ingress(request("/counter/%E0%A4%A/add", { method: "POST" }), env), 400, /not valid percent-encoded UTF-8/);
  });

  it("leaves /restate/admin to someone else", async () => {
    const router = createIngressRouter({ registry: registry(), serviceShards: 4, workflowShards: 8, maxBodyBytes: MAX_BODY });
    const { env, calls } = fakeEnv();
    expect(await router.fetch(request("/restate/admin/invocations"), env)).toBeUndefined();
    expect(await router.fetch(request("/restate/admin"), env)).toBeUndefined();
    expect((await router.fetch(request("/restate/health"), env))?.status).toBe(200);
    expect(calls).toHaveLength(0);
  });
});
