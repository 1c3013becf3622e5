import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { rpc } from "../../sdk/client-types.js";
import { Attempt } from "../../src/engine/attempt.js";
import { makeAwakeableId, makeInvocationId } from "../../src/engine/ids.js";
import type { Delivery } from "../../src/engine/messages.js";
import { Registry } from "../../src/engine/registry.js";
import { stepSpanId } from "../../src/engine/trace-context.js";
import type { Entry, StepTracer } from "../../src/engine/types.js";
import { standaloneHost } from "./support.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const ID = "inv_1test.x";
const TARGET = { service: "caller", handler: "go" };
/** An awakeable of another invocation, which caller/go completes. */
const AWAKEABLE = makeAwakeableId(makeInvocationId("o:other:k", "y"), 2, "a".repeat(22));

const callee = service({ name: "callee", handlers: { work: async (_ctx: Context, _n: number) => 1 } });
const caller = service({
  name: "caller",
  handlers: {
    go: async (ctx: Context) => {
      await ctx.run("first", () => 1);
      ctx.serviceSendClient(callee).work(1, rpc.sendOpts({ headers: { "x-user": "u" } }));
      ctx.serviceSendClient(callee).work(2, rpc.sendOpts({ delay: 60_000 }));
      ctx.resolveAwakeable(AWAKEABLE, 1);
      return ctx.serviceClient(callee).work(3, rpc.opts({ headers: { traceparent: "00-11111111111111111111111111111111-2222222222222222-01" } }));
    },
  },
});
const registry = new Registry([caller, callee]);

/** Runs caller/go once (after `journal`) on a standalone host; `tracer` turns tracing on. What it journaled and sent. */
async function run(tracer?: StepTracer, journal: Entry[] = []) {
  const { host, store } = standaloneHost(ID, TARGET, tracer);
  const attempt = new Attempt({
    invocationId: ID,
    target: TARGET,
    input: new Uint8Array(0),
    headers: { traceparent: `00-${TRACE}-b7ad6b7169203331-01` },
    journal,
    spec: registry.handler("caller", "go")!,
    kinds: { kindOf: (name) => registry.service(name)?.kind, serviceShards: 4 },
    host,
  });
  void attempt.start();
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  attempt.close();
  return { sent: store.takeOutbox().map((o) => o.delivery), entries: store.journal(ID) };
}

/** The headers of the calls and sends, in journal order (send, delayed send, call). */
const headersOf = (sent: Delivery[]) => sent.flatMap((d) => (d.kind === "invoke" ? [d.request.headers] : []));
const awakeableOf = (sent: Delivery[]) => sent.find((d) => d.kind === "awakeable")!;

describe("trace context through calls, sends and awakeable completions", () => {
  it("with tracing off, adds nothing: the handler's headers go as given", async () => {
    const { sent } = await run();
    expect(headersOf(sent)).toEqual([{ "x-user": "u" }, {}, { traceparent: "00-11111111111111111111111111111111-2222222222222222-01" }]);
    expect(awakeableOf(sent)).not.toHaveProperty("traceparent");
  });

  it("with tracing on, each call and send (delayed too) carries a traceparent naming its own step's span in the invocation's trace", async () => {
    const { sent } = await run({ stepStarted: () => {} });
    const parent = (index: number) => `00-${TRACE}-${stepSpanId(ID, index)}-01`;
    expect(headersOf(sent)).toEqual([{ "x-user": "u", traceparent: parent(1) }, { traceparent: parent(2) }, { traceparent: parent(4) }]);
    expect(awakeableOf(sent)).toMatchObject({ traceparent: parent(3) });
  });

  it("tells the tracer each step that runs for the first time, and none it replays", async () => {
    const started: string[] = [];
    const tracer: StepTracer = { stepStarted: (id, index, type, name) => void started.push(`${id} ${index} ${type}(${name})`) };
    const first = await run(tracer);
    expect(started).toEqual([`${ID} 0 run(first)`, `${ID} 1 send(callee/work)`, `${ID} 2 send(callee/work)`, `${ID} 3 completeAwakeable(${AWAKEABLE})`, `${ID} 4 call(callee/work)`]);
    started.length = 0;
    await run(tracer, first.entries.slice(0, 2));
    expect(started.map((s) => s.split(" ")[1])).toEqual(["2", "3", "4"]);
  });
});
