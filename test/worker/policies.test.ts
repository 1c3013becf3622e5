/**
 * Retry policies, idempotency retention, workflow and header propagation across
 * handlers, and ingress error answers — on the real runtime.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, advance as advanceClock, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

const advance = (owner: string, ms: number) => advanceClock(rt, owner, ms);

describe("retry policy when attempts run out", () => {
  test("onMaxAttempts 'kill' fails the invocation with the last error", async () => {
    const res = await rt.post("/steps/giveUp", "g1");
    expect(res.status).toBe(500);
    expect(res.body.message).toContain("still broken");
    expect(res.body.message).toContain("gave up after 2 attempts");
    expect(probe.count("g1-giveup")).toBe(2);
  });

  test("onMaxAttempts 'pause' parks the invocation until an operator resumes it", async () => {
    const sent = await rt.post("/steps/pauseThenResume/send", "p1");
    const id = sent.body.invocationId as string;
    const paused = await eventually(async () => {
      const res = await admin(rt, `invocations/${id}`);
      return res.body?.status === "paused" ? res.body : undefined;
    });
    expect(paused.retry_count).toBe(2);
    expect(paused.last_failure).toContain("not yet (2)");
    await new Promise((r) => setTimeout(r, 300));
    expect(probe.count("p1-pause")).toBe(2); // nothing runs while paused

    expect((await admin(rt, `invocations/${id}/resume`, "PATCH")).status).toBe(202);
    expect(await rt.get(`/restate/invocation/${id}/attach`)).toMatchObject({ status: 200, body: 3 });
  });

  test("asTerminalError and hooks on the real runtime: a mapped run error is final, compensated and answered with its code", async () => {
    const res = await rt.post("/steps/chargeOnce", "t1");
    expect(res.status).toBe(402);
    expect(res.body.message).toBe("declined: card expired");
    await new Promise((r) => setTimeout(r, 300));
    expect(probe.count("t1-charge")).toBe(1); // no retry
    expect(probe.count("t1-refund")).toBe(1);
    expect(probe.count("t1-attempt")).toBe(1); // the hook saw one attempt
  });

  test("a PauseError from ctx.run parks the invocation at once, without back-off, until it is resumed", async () => {
    const sent = await rt.post("/steps/pauseForReview/send", "r1");
    const id = sent.body.invocationId as string;
    const paused = await eventually(async () => {
      const res = await admin(rt, `invocations/${id}`);
      return res.body?.status === "paused" ? res.body : undefined;
    });
    expect(paused.retry_count).toBe(1);
    expect(paused.last_failure).toContain("needs review (1)");
    await new Promise((r) => setTimeout(r, 300));
    expect(probe.count("r1-review")).toBe(1); // no retry while paused

    expect((await admin(rt, `invocations/${id}/resume`, "PATCH")).status).toBe(202);
    expect(await rt.get(`/restate/invocation/${id}/attach`)).toMatchObject({ status: 200, body: 2 });
  });
});

describe("idempotency retention", () => {
  test("the stored response is returned until retention ends, with an idempotency-expires header", async () => {
    const first = await rt.post("/steps/shortMemory", "r1", { "idempotency-key": "r1" });
    expect(first.status).toBe(200);
    const expires = Date.parse(first.headers.get("idempotency-expires") ?? "");
    expect(expires - Date.now()).toBeGreaterThan(50_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(60_000);

    const second = await rt.post("/steps/shortMemory", "r1", { "idempotency-key": "r1" });
    expect(second.body).toBe(first.body);
    expect(probe.count("r1-short")).toBe(1);

    const owner = Buffer.from(first.headers.get("x-restate-id")!.slice(5).split(".")[0]!, "base64url").toString();
    await advance(owner, 61_000);
    const third = await rt.post("/steps/shortMemory", "r1", { "idempotency-key": "r1" });
    expect(third.status).toBe(200);
    expect(probe.count("r1-short")).toBe(2); // retention ended: a new execution
  });
});

describe("between handlers", () => {
  test("ctx.workflowClient(def, id).run() and shared-handler calls from another handler", async () => {
    const res = await rt.post("/orchestrator/approveFlow", "orch1");
    expect(res).toMatchObject({ status: 200, body: { result: "flow orch1: auto-approved", stage: "decided" } });
    expect((await rt.get("/restate/workflow/approval/orch1/output")).body).toBe("flow orch1: auto-approved");
  });

  test("ctx.workflowSendClient(def, id).run() submits the workflow with its fixed id", async () => {
    const res = await rt.post("/orchestrator/submitFlow", "orch2");
    expect(res.body).toMatch(/\.run$/);
    await rt.post("/approval/orch2/decide", "ok");
    expect((await rt.get(`/restate/invocation/${res.body}/attach`)).body).toBe("sent orch2: ok");
  });

  test("rpc.opts headers reach the callee's ctx.request().headers", async () => {
    expect((await rt.post("/orchestrator/headers", "trace-42")).body).toBe("trace-42");
  });

  test("genericSend starts the target by name", async () => {
    const id = (await rt.post("/orchestrator/genericSend", "gs")).body as string;
    expect((await rt.get(`/restate/invocation/${id}/attach`)).body).toBe(2);
  });
});

describe("ingress answers", () => {
  test("unknown service and handler are 404s naming what exists", async () => {
    const service = await rt.post("/nope/x", 1);
    expect(service.status).toBe(404);
    expect(service.body.message).toContain("service 'nope' not found");
    expect(service.body.message).toContain("counter");
    const handler = await rt.post("/counter/k/nope", 1);
    expect(handler.status).toBe(404);
    expect(handler.body.message).toMatch(/add.*get/);
  });

  test("malformed JSON and schema violations are 400s", async () => {
    const bad = await rt.fetch("/steps/echo", { method: "POST", body: "{not json", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain("Failed to deserialize input");
    const invalid = await rt.post("/steps/validated", { name: "", age: 1.5 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toContain("name");
    expect(invalid.body.message).toContain("age");
    expect(await rt.post("/steps/validated", { name: "Ada", age: 36 })).toMatchObject({ status: 200, body: "Ada is 36" });
  });

  test("bodies over the limit are 413; wrong methods 405; private handlers unreachable", async () => {
    const big = await rt.postAlone("/steps/echo", JSON.stringify("x".repeat(70 * 1024)));
    expect(big.status).toBe(413);
    const put = await rt.fetch("/steps/echo", { method: "PUT", body: "1" });
    expect(put.status).toBe(405);
    const secret = await rt.post("/steps/secret");
    expect(secret.status).toBe(404);
    expect(JSON.stringify(secret.body)).not.toContain("hidden");
  });

  test("the admin API needs the token", async () => {
    expect((await rt.get("/restate/admin/services")).status).toBe(401);
    expect((await rt.get("/restate/admin/services", { authorization: "Bearer wrong" })).status).toBe(401);
    const ok = await admin(rt, "services");
    expect(ok.status).toBe(200);
    expect(ok.body.services.map((s: { name: string }) => s.name)).toContain("counter");
  });

  test("the admin API shows the descriptions and metadata of services and handlers", async () => {
    const { body } = await admin(rt, "services");
    const counter = body.services.find((s: { name: string }) => s.name === "counter");
    expect(counter).toMatchObject({ documentation: "A count per key", metadata: { owner: "tests" } });
    const handlersByName = Object.fromEntries(counter.handlers.map((h: { name: string }) => [h.name, h]));
    expect(handlersByName.get).toMatchObject({ name: "get", ty: "Shared", documentation: "The current count" }); // Restate's handler type names
    expect(handlersByName.add.documentation).toBeUndefined();
  });
});

describe("CORS (the fixture allows https://app.example)", () => {
  const APP = "https://app.example";

  test("a preflight from an allowed origin is answered; from another origin it is refused", async () => {
    const preflight = (origin: string) =>
      rt.fetch("/counter/cors1/add", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, idempotency-key" } });
    const ok = await preflight(APP);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(ok.headers.get("access-control-allow-headers")).toContain("idempotency-key");
    const refused = await preflight("https://evil.example");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("answers to an allowed origin carry its name and expose the invocation id; others carry nothing", async () => {
    const call = (origin: string) => rt.post("/counter/cors2/add", 1, { origin });
    const ok = await call(APP);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect(ok.headers.get("access-control-expose-headers")).toContain("x-restate-id");
    const other = await call("https://evil.example");
    expect(other.status).toBe(200); // CORS is the browser's check: the server only withholds the labels
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("issue 14: the URL createWorker splits once reaches the CORS-wrapped ingress whole: a send's ?delay, a percent-encoded key, the 414", async () => {
    const sent = await rt.post("/counter/cors%2F3/add/send?delay=1h", 1, { origin: APP });
    expect(sent.status).toBe(202);
    expect(sent.headers.get("access-control-allow-origin")).toBe(APP);
    expect(sent.body.executionTime).toEqual(expect.any(String));
    const listed = await admin(rt, "objects/counter/cors%2F3/invocations");
    expect(listed.body.invocations.map((i: { id: string }) => i.id)).toEqual([sent.body.invocationId]);
    const delayOnCall = await rt.post("/counter/cors4/add?delay=1h", 1, { origin: APP });
    expect(delayOnCall.status).toBe(400);
    expect(delayOnCall.body.message).toMatch(/only allowed on a one-way send/);
    const long = await rt.post(`/counter/${"k".repeat(16 * 1024)}/add`, 1, { origin: APP });
    expect(long.status).toBe(414);
    expect(long.body).toMatchObject({ code: 414, source: "ingress" });
    expect(long.headers.get("access-control-allow-origin")).toBe(APP);
  });

  test("never for the admin API", async () => {
    const res = await rt.fetch("/restate/admin/services", { headers: { origin: APP, authorization: "Bearer test-token" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await rt.fetch("/restate/admin/services", { method: "OPTIONS", headers: { origin: APP, "access-control-request-method": "GET" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });
});
