/**
 * The ingress client's opt-in retries, deadlines and by-name calls. The failures
 * (a gateway's 503, a dropped connection) come from a scripted `fetch`: the
 * local runtime does not produce them on demand. test/worker/clients.test.ts
 * runs the same client against the real ingress.
 */
import { describe, expect, it } from "vitest";
import { connect, HttpCallError } from "../../sdk/client.js";
import type { Context, ObjectContext, WorkflowContext } from "../../sdk/context.js";
import { object, service, workflow } from "../../sdk/define.js";

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that answers with `script[i]` for the i-th request and records what it saw. */
function scripted(script: (() => Response | Promise<Response>)[]) {
  const seen: Seen[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    seen.push({ url, method: init.method ?? "GET", headers: { ...(init.headers as Record<string, string>) }, body: init.body ? new TextDecoder().decode(init.body as Uint8Array) : "" });
    const next = script[seen.length - 1];
    if (!next) throw new Error(`unexpected request ${seen.length}`);
    return next();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, seen };
}

const json = (value: unknown, status = 200, headers: Record<string, string> = {}) => () => new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });
const dropped = () => () => Promise.reject(new TypeError("fetch failed"));
const FAST = { initialInterval: 1, maxInterval: 2 };
const counter = object({ name: "counter", handlers: { add: async (_ctx: ObjectContext, n: number) => n } });
const signup = workflow({ name: "signup", handlers: { run: async (_ctx: WorkflowContext) => "done" } });
const svc = service({ name: "s", handlers: { h: async (_ctx: Context) => 1 } });

describe("client retries", () => {
  it("are off by default: one request, the 503 surfaces", async () => {
    const { fetch, seen } = scripted([json({ message: "unavailable" }, 503)]);
    const error = await connect({ url: "http://x", fetch }).objectClient(counter, "a").add(1, { idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpCallError);
    expect((error as HttpCallError).status).toBe(503);
    expect(seen).toHaveLength(1);
  });

  it("repeat an idempotent call after a 503 and a dropped connection, numbering the attempts", async () => {
    const { fetch, seen } = scripted([json({}, 503), dropped(), json(7)]);
    const ingress = connect({ url: "http://x", fetch, retry: FAST });
    expect(await ingress.objectClient(counter, "a").add(1, { idempotencyKey: "k" })).toBe(7);
    expect(seen.map((s) => s.headers["x-restateclient-retry-attempt"])).toEqual([undefined, "1", "2"]);
    expect(seen.every((s) => s.headers["idempotency-key"] === "k" && s.body === "1")).toBe(true);
  });

  it("never repeat a call without an idempotency key: it could run twice", async () => {
    const { fetch, seen } = scripted([dropped(), json(1)]);
    const error = await connect({ url: "http://x", fetch, retry: FAST }).objectClient(counter, "a").add(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(seen).toHaveLength(1);
  });

  it("never repeat the handler's own failure, nor a 4xx", async () => {
    const invocationFailure = scripted([json({ message: "boom" }, 500, { "x-restate-error-source": "invocation" }), json(1)]);
    await expect(connect({ url: "http://x", fetch: invocationFailure.fetch, retry: FAST }).objectClient(counter, "a").add(1, { idempotencyKey: "k" })).rejects.toThrow("500");
    expect(invocationFailure.seen).toHaveLength(1);
    const badRequest = scripted([json({ message: "bad" }, 400), json(1)]);
    await expect(connect({ url: "http://x", fetch: badRequest.fetch, retry: FAST }).objectClient(counter, "a").add(1, { idempotencyKey: "k" })).rejects.toThrow("400");
    expect(badRequest.seen).toHaveLength(1);
  });

  it("always may repeat workflow submit, attach and output (the workflow id makes run at most once)", async () => {
    const { fetch, seen } = scripted([dropped(), json({ invocationId: "inv_1", status: "Accepted" }, 202), json({}, 502), json("done"), json({}, 429), json("done")]);
    const wf = connect({ url: "http://x", fetch, retry: FAST }).workflowClient(signup, "w1");
    expect(await wf.workflowSubmit(undefined)).toMatchObject({ invocationId: "inv_1", attachable: true });
    expect(await wf.workflowAttach()).toBe("done");
    expect(await wf.workflowOutput()).toMatchObject({ ready: true, result: "done" });
    expect(seen.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      "POST /signup/w1/run/send",
      "POST /signup/w1/run/send",
      "GET /restate/workflow/signup/w1/attach",
      "GET /restate/workflow/signup/w1/attach",
      "GET /restate/workflow/signup/w1/output",
      "GET /restate/workflow/signup/w1/output",
    ]);
  });

  it("stop after maxAttempts, with the last error", async () => {
    const { fetch, seen } = scripted([json({}, 503), json({}, 503), json({}, 504), json(1)]);
    const error = await connect({ url: "http://x", fetch, retry: { ...FAST, maxAttempts: 3 } }).serviceClient(svc).h(undefined, { idempotencyKey: "k" }).catch((e: unknown) => e);
    expect((error as HttpCallError).status).toBe(504);
    expect(seen).toHaveLength(3);
  });

  it("wait what retry-after says rather than the back-off", async () => {
    const { fetch } = scripted([json({}, 429, { "retry-after": "0.2" }), json(1)]);
    const started = Date.now();
    await connect({ url: "http://x", fetch, retry: { ...FAST, maxInterval: 1 } }).objectClient(counter, "a").add(1, { idempotencyKey: "k" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});

describe("client deadlines and by-name calls", () => {
  it("abort a request after `timeout` ms, and refuse timeout together with signal", async () => {
    const fetch = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(init.signal!.reason)))) as unknown as typeof globalThis.fetch;
    const ingress = connect({ url: "http://x", fetch, retry: FAST });
    const error = await ingress.objectClient(counter, "a").add(1, { idempotencyKey: "k", timeout: 20 }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
    await expect(ingress.objectClient(counter, "a").add(1, { timeout: 20, signal: new AbortController().signal })).rejects.toThrow("either `timeout` or `signal`");
  });

  it("call and send by names", async () => {
    const { fetch, seen } = scripted([json(3), json({ invocationId: "inv_2", status: "Accepted" }, 202)]);
    const ingress = connect({ url: "http://x/", fetch });
    expect(await ingress.call<number, number>({ service: "counter", key: "a b", handler: "add", parameter: 3 })).toBe(3);
    expect(await ingress.send({ service: "mailer", handler: "notify", parameter: { to: "x" }, opts: { delay: 1500 } })).toMatchObject({ invocationId: "inv_2", attachable: false });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(["POST http://x/counter/a%20b/add 3", 'POST http://x/mailer/notify/send?delay=1500ms {"to":"x"}']);
  });
});
