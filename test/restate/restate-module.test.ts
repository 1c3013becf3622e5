/**
 * Issue #12 (Restate drop-in): Restate service modules, written as Restate's
 * docs and Cloudflare template write them, bundled through the README's
 * wrangler `[alias]` lines (esbuild's `alias`, which wrangler's `[alias]` sets)
 * and called on workerd. Each module adds one line: the Durable Object export.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, WorkerdRuntime } from "../support/runtime.js";
import { sourceAliases } from "./aliases.js";

describe("issue #12: Restate's Cloudflare template (fetch entry, zod, endpoint().bind().handler())", () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await WorkerdRuntime.start({ entry: "test/restate/fixtures/cf-greeter.ts", alias: sourceAliases() });
  });
  afterAll(() => rt?.dispose());

  it("greets through its zod serdes, steps and timer", async () => {
    const res = await rt.post("/Greeter/greet", { name: "Ada" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: "You said hi to Ada!" });
    expect(res.headers.get("x-restate-id")).toMatch(/^inv_/);
  });

  it("refuses an input its zod schema rejects, with a 400", async () => {
    const res = await rt.post("/Greeter/greet", { name: 42 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 400, source: "invocation" });
  });
});

describe("issue #12: Restate's docs modules (Node entry, restate.serve)", () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await WorkerdRuntime.start({ entry: "test/restate/fixtures/docs-services.ts", alias: sourceAliases() });
  });
  afterAll(() => rt?.dispose());

  it("serves a service", async () => {
    expect((await rt.post("/greeter/greet", "Grace")).body).toBe("Hello Grace!");
  });

  it("keeps a virtual object's state per key, read by a shared handler", async () => {
    expect((await rt.post("/counter/a/add", 2)).body).toBe(2);
    expect((await rt.post("/counter/a/add", 3)).body).toBe(5);
    expect((await rt.post("/counter/b/add", 1)).body).toBe(1);
    expect((await rt.post("/counter/a/get")).body).toBe(5);
    await rt.post("/counter/a/reset");
    expect((await rt.post("/counter/a/get")).body).toBe(0);
  });

  it("runs a workflow that waits for a durable promise resolved by a shared handler", async () => {
    const submitted = await rt.post("/signup/ada/run/send", { name: "Ada", email: "ada@example.com" });
    expect(submitted.status).toBe(202);
    const secret = await eventually(async () => (await rt.post("/signup/ada/secret")).body as string | undefined);
    expect((await rt.post("/signup/ada/stage")).body).toBe("Verifying email");
    await rt.post("/signup/ada/click", { secret });
    const result = await rt.get("/restate/workflow/signup/ada/attach");
    expect(result.body).toEqual({ name: "Ada", verified: true });
    expect((await rt.post("/signup/ada/stage")).body).toBe("Email verified");
  });

  it("runs the subscription saga's compensations and answers with the TerminalError's metadata, as Restate does", async () => {
    await rt.post("/effects/list");
    const res = await rt.post("/SubscriptionSaga/add", { userId: "u1", creditCard: "4242", subscriptions: ["Netflix", "Disney", "Hulu"] });
    expect(res.status).toBe(422);
    // Restate 1.7's body, key for key: metadata between message and source, its keys sorted.
    expect(JSON.stringify(res.body)).toBe(
      JSON.stringify({ code: 422, message: "Disney is not available in your region", metadata: { reason: "region", subscription: "Disney" }, source: "invocation" }),
    );
    expect(res.headers.get("x-restate-error-source")).toBe("invocation");
    expect((await rt.post("/effects/list")).body).toEqual([
      "pay 4242",
      "subscribe u1 Netflix",
      "subscribe u1 Disney",
      "unsubscribe u1 Disney",
      "unsubscribe u1 Netflix",
      "unpay 36",
    ]);
  });

  it("keeps the metadata for a later attach by idempotency key", async () => {
    const headers = { "idempotency-key": "saga-1" };
    const first = await rt.post("/SubscriptionSaga/add", { userId: "u2", creditCard: "1", subscriptions: ["Disney"] }, headers);
    expect(first.status).toBe(422);
    const attached = await rt.get("/restate/invocation/SubscriptionSaga/add/saga-1/attach");
    expect(attached.status).toBe(422);
    expect(attached.body.metadata).toEqual({ reason: "region", subscription: "Disney" });
  });
});

describe("issue #12: Restate's API surface (createEndpointHandler as { fetch })", () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await WorkerdRuntime.start({ entry: "test/restate/fixtures/api-surface.ts", alias: sourceAliases() });
  });
  afterAll(() => rt?.dispose());

  it("passes Opts to a call after the input, and alone to a handler without input", async () => {
    const res = await rt.post("/api/callWithOpts", "c1");
    // The same idempotency key: the second call is the first invocation, not another add.
    expect(res.body).toEqual({ first: 1, again: 1, header: "through opts", count: 1 });
  });

  it("passes SendOpts to a send (a delayed one-way call)", async () => {
    expect((await rt.post("/api/sendWithOpts", "s1")).body).toBe(true);
    await eventually(async () => (await rt.post("/api/count", "s1")).body === 5);
  });

  it("applies defaultServiceOptions to services without options of their own", async () => {
    const res = await rt.post("/hidden/ping");
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.source).toBe("ingress");
    expect((await rt.post("/counter/x/get")).status).toBe(res.status);
  });

  it("hands a callee's TerminalError metadata to the caller, and to ingress when the caller rethrows it", async () => {
    expect((await rt.post("/api/catchCallee", "4242")).body).toEqual({ terminal: true, code: 402, metadata: { card: "4242", retry: "no" } });
    const res = await rt.post("/api/rethrowCallee", "4242");
    expect(res.status).toBe(402);
    expect(res.body).toEqual({ code: 402, message: "card declined", metadata: { card: "4242", retry: "no" }, source: "invocation" });
  });

  it("calls a sibling handler through this, and a phantom { name } definition", async () => {
    expect((await rt.post("/api/sibling", "Ada")).body).toBe("helped Ada");
    expect((await rt.post("/api/siblingWithOptions", "Bob")).body).toBe("helped Bob");
    expect((await rt.post("/api/phantom")).body).toBe(7);
  });

  it("has InvocationIdParser, CombineablePromise, serde.JsonSerde and internal.isSuspendedError", async () => {
    expect((await rt.post("/api/ids")).body).toEqual({ own: true, refused: "Expected invocation id to start with 'inv' but got not-an-id" });
    expect((await rt.post("/api/combine")).body).toBe(3);
    expect((await rt.post("/api/jsonSerde")).body).toEqual({ n: 3 });
    expect((await rt.post("/api/suspended")).body).toBe(false);
  });

  it("says so when a handler uses a part of Restate's context that Resolute does not run", async () => {
    expect((await rt.post("/api/unsupported")).body).toMatch(/^ctx\.signal\(\) is not available on Resolute: invocation signals are not supported/);
  });
});
