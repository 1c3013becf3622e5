import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { rpc } from "../../sdk/client-types.js";
import { Attempt } from "../../src/engine/attempt.js";
import { Registry } from "../../src/engine/registry.js";
import { stepSpanId } from "../../src/engine/trace-context.js";
import type { Effect, Entry, Host, StepTracer } from "../../src/engine/types.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const ID = "inv_1test.x";

const callee = service({ name: "callee", handlers: { work: async (_ctx: Context, _n: number) => 1 } });
const caller = service({
  name: "caller",
  handlers: {
    go: async (ctx: Context) => {
      await ctx.run("first", () => 1);
      ctx.serviceSendClient(callee).work(1, rpc.sendOpts({ headers: { "x-user": "u" } }));
      ctx.serviceSendClient(callee).work(2, rpc.sendOpts({ delay: 60_000 }));
      ctx.resolveAwakeable("sign_1whatever", 1);
      return ctx.serviceClient(callee).work(3, rpc.opts({ headers: { traceparent: "00-11111111111111111111111111111111-2222222222222222-01" } }));
    },
  },
});
const registry = new Registry([caller, callee]);

/** Runs caller/go once on a host recording its entries and effects; `tracer` makes tracing on. */
async function run(tracer?: StepTracer, journal: Entry[] = []) {
  const effects: { index: number; effect: Effect }[] = [];
  const entries: Entry[] = [];
  const host: Host = {
    now: () => 0,
    record: (_id, entry, fx) => {
      entries.push(entry);
      for (const effect of fx) effects.push({ index: entry.index, effect });
      return undefined;
    },
    readState: () => null,
    stateKeys: () => [],
    peekPromise: () => undefined,
    runFailures: () => ({ count: 0 }),
    sideEffectStarted: () => {},
    log: () => {},
    randomBytes: (n) => new Uint8Array(n),
    ...(tracer ? { tracer } : {}),
  };
  const attempt = new Attempt({
    invocationId: ID,
    target: { service: "caller", handler: "go" },
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
  return { effects, entries };
}

function headersOf(effects: { index: number; effect: Effect }[]) {
  return effects.filter((e) => e.effect.type === "call").map((e) => ({ index: e.index, headers: e.effect.type === "call" ? e.effect.call.headers : {} }));
}

describe("trace context through calls, sends and awakeable completions", () => {
  it("with tracing off, adds nothing: the handler's headers go as given and the tracer is never asked", async () => {
    const { effects } = await run();
    expect(headersOf(effects)).toEqual([
      { index: 1, headers: { "x-user": "u" } },
      { index: 2, headers: {} },
      { index: 4, headers: { traceparent: "00-11111111111111111111111111111111-2222222222222222-01" } },
    ]);
    const awakeable = effects.find((e) => e.effect.type === "completeAwakeable")!.effect;
    expect(awakeable).not.toHaveProperty("traceparent");
  });

  it("with tracing on, each call and send (delayed too) carries a traceparent naming its own step's span in the invocation's trace", async () => {
    const { effects } = await run({ stepStarted: () => {} });
    const parent = (index: number) => `00-${TRACE}-${stepSpanId(ID, index)}-01`;
    expect(headersOf(effects)).toEqual([
      { index: 1, headers: { "x-user": "u", traceparent: parent(1) } },
      { index: 2, headers: { traceparent: parent(2) } },
      { index: 4, headers: { traceparent: parent(4) } },
    ]);
    expect(effects.find((e) => e.effect.type === "completeAwakeable")!.effect).toMatchObject({ traceparent: parent(3) });
  });

  it("tells the tracer each step that runs for the first time, and none it replays", async () => {
    const started: string[] = [];
    const tracer: StepTracer = { stepStarted: (id, index, type, name) => void started.push(`${id} ${index} ${type}(${name})`) };
    const first = await run(tracer);
    expect(started).toEqual([`${ID} 0 run(first)`, `${ID} 1 send(callee/work)`, `${ID} 2 send(callee/work)`, `${ID} 3 completeAwakeable(sign_1whatever)`, `${ID} 4 call(callee/work)`]);
    started.length = 0;
    await run(tracer, first.entries.slice(0, 2));
    expect(started.map((s) => s.split(" ")[1])).toEqual(["2", "3", "4"]);
  });
});
