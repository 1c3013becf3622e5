/**
 * Issue #12 (Restate drop-in), in Node: the shapes of resolute/restate's
 * entries and endpoints, and what they refuse. Node loads the package's
 * stand-in DurableObject (#workers-runtime); each test loads the modules
 * afresh (a Worker serves one endpoint, kept by the module).
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const node = () => import("resolute/restate");
const fetchEntry = () => import("resolute/restate/fetch");

async function greeter() {
  const restate = await node();
  return restate.service({ name: "greeter", handlers: { greet: async (_ctx: unknown, name: string) => `Hello ${name}!` } });
}

/** The runtime exports of @restatedev/restate-sdk 1.17.2 (its Node entry), read from the installed package. */
const RESTATE_NODE_EXPORTS = [
  "CancelledError", "CombineablePromise", "InvocationIdParser", "Opts", "PauseError", "RestateError", "RestatePromise",
  "RetryableError", "SendOpts", "TerminalError", "TimeoutError", "createEndpointHandler", "createObjectHandler",
  "createObjectSharedHandler", "createServiceHandler", "createWorkflowHandler", "createWorkflowSharedHandler", "endpoint",
  "handlers", "internal", "isRestatePromise", "object", "rpc", "serde", "serve", "service", "workflow",
];
/** Not served: code-free descriptors (`iface`, `implement`) need `ctx.client(iface)`, which Resolute does not run. */
const NOT_SERVED = ["iface", "implement"];

describe("issue #12: resolute/restate's module shape", () => {
  beforeEach(() => {
    vi.resetModules();
  });

  it("exports Restate's runtime names (the fetch entry all but serve), and the Worker's two", async () => {
    const restate = await node();
    expect(Object.keys(restate).filter((k) => !RESTATE_NODE_EXPORTS.includes(k)).sort()).toEqual(["ResoluteObject", "worker"]);
    expect(RESTATE_NODE_EXPORTS.filter((k) => !(k in restate))).toEqual([]);
    const fetch = await fetchEntry();
    expect(RESTATE_NODE_EXPORTS.filter((k) => !(k in fetch))).toEqual(["serve"]);
    expect(NOT_SERVED.filter((k) => k in restate || k in fetch)).toEqual([]);
    expect(restate.CombineablePromise).toBe(restate.RestatePromise);
    expect(restate.createServiceHandler).toBe(restate.handlers.handler);
    expect(restate.rpc.opts({})).toBeInstanceOf(restate.Opts);
    expect(restate.rpc.sendOpts({ delay: 5 }).getOpts()).toEqual({ delay: 5 });
  });

  it("endpoint().bind(x).handler() is a Worker's default export, { fetch }, built once", async () => {
    const restate = await fetchEntry();
    const endpoint = restate.endpoint().bind(await greeter()).withIdentityV1("publickeyv1_x").setLogger(() => {}).bidirectional();
    const handler = endpoint.handler();
    expect(Object.keys(handler)).toEqual(["fetch"]);
    expect(typeof handler.fetch).toBe("function");
    expect(endpoint.handler()).toBe(handler);
    expect(() => endpoint.bind(restate.service({ name: "late", handlers: {} }))).toThrow("bind(late) after the endpoint was built");
  });

  it("createEndpointHandler is a fetch function; serve and listen resolve with 0, binding no port", async () => {
    expect(typeof (await node()).createEndpointHandler({ services: [await greeter()] })).toBe("function");
    vi.resetModules();
    expect(await (await node()).serve({ services: [await greeter()], port: 9080 })).toBe(0);
    vi.resetModules();
    expect(await (await node()).endpoint().bind(await greeter()).listen(9080)).toBe(0);
  });

  it("refuses a second endpoint in the same Worker, naming the services of both", async () => {
    const restate = await node();
    restate.createEndpointHandler({ services: [await greeter()] });
    const other = restate.service({ name: "other", handlers: {} });
    const fetch = await fetchEntry();
    expect(() => fetch.endpoint().bind(other).handler()).toThrow(
      "This Worker already serves a Restate endpoint (greeter), and a Worker serves one: bind other to that endpoint instead of building another.",
    );
  });

  it("says what to write instead of Node's server handlers", async () => {
    const endpoint = (await node()).endpoint().bind(await greeter());
    expect(() => endpoint.http2Handler()).toThrow(/http2Handler\(\) makes a request listener for a Node server, which does not run on Workers: export default restate.endpoint\(\)/);
    expect(() => endpoint.http1Handler()).toThrow(/http1Handler\(\)/);
  });

  it("refuses journal encryption rather than storing values unencrypted", async () => {
    const restate = await node();
    const services = [await greeter()];
    const codec = (async () => ({})) as never;
    expect(() => restate.endpoint().journalValueCodecProvider(codec)).toThrow(/journalValueCodecProvider \(journal encryption\) is not supported/);
    expect(() => restate.createEndpointHandler({ services, journalValueCodecProvider: codec })).toThrow(/not supported/);
  });

  it("refuses to bind what is not a definition (a phantom { name } is only a client target)", async () => {
    const restate = await node();
    expect(() => restate.createEndpointHandler({ services: [{ name: "greeter" }] })).toThrow(
      "'greeter' is not a service definition: bind what restate.service(), restate.object() or restate.workflow() returned",
    );
  });

  it("says so when the Worker is called before its module built an endpoint", async () => {
    const restate = await node();
    expect(() => restate.worker.fetch(new Request("http://x/greeter/greet"), {} as never, {} as never)).toThrow(/This Worker serves no Restate endpoint yet/);
    expect(() => new restate.ResoluteObject({} as never, {} as never)).toThrow(/This Worker serves no Restate endpoint yet/);
  });
});
