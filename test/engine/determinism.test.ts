import { describe, expect, it } from "vitest";
import type { Context, ObjectContext, WorkflowContext, WorkflowSharedContext } from "../../sdk/context.js";
import { object, service, workflow } from "../../sdk/define.js";
import { TerminalError } from "../../sdk/errors.js";
import { RestatePromise } from "../../sdk/promise.js";
import type { MemoryRuntime } from "../../src/engine/memory.js";
import { lines, runtime, shape } from "./support.js";

describe("ctx.rand and ctx.date", () => {
  it("return the same values on replay", async () => {
    const seen: { random: number; uuid: string; now: number }[] = [];
    const svc = service({
      name: "rng",
      handlers: {
        go: async (ctx: Context) => {
          const random = ctx.rand.random();
          const uuid = ctx.rand.uuidv4();
          const now = await ctx.date.now();
          seen.push({ random, uuid, now });
          await ctx.sleep(5_000);
          return { random, uuid, now, after: await ctx.date.now() };
        },
      },
    });
    const rt = runtime([svc]);
    rt.clock.set(1_000);
    const id = await rt.invoke("rng", "go");
    await rt.advance(2_000);
    await rt.crash(id); // replays at t=3000: date.now() must still say 1000
    await rt.advance(3_000);
    const result = rt.result<{ random: number; uuid: string; now: number; after: number }>(id);

    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(result).toMatchObject(seen[0]!);
    expect(result.now).toBe(1_000);
    expect(result.after).toBe(6_000);
    expect(result.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(result.random).toBeGreaterThanOrEqual(0);
    expect(result.random).toBeLessThan(1);
  });

  it("differ between invocations", async () => {
    const svc = service({ name: "rng", handlers: { go: async (ctx: Context) => ctx.rand.uuidv4() } });
    const rt = runtime([svc]);
    expect(await rt.call("rng", "go")).not.toBe(await rt.call("rng", "go"));
  });
});

// ---- golden journals: a normal run and an always-replay run record the same entries ----

const counter = object({
  name: "counter",
  handlers: {
    add: async (ctx: ObjectContext, n: number) => {
      const current = (await ctx.get<number>("count")) ?? 0;
      ctx.set("count", current + n);
      await ctx.sleep({ seconds: 1 });
      const keys = await ctx.stateKeys();
      if (current + n > 10) ctx.clearAll();
      return { count: current + n, keys };
    },
  },
});

const orders = service({
  name: "orders",
  handlers: {
    place: async (ctx: Context, item: string) => {
      const id = await ctx.run("reserve", () => `r-${item}`);
      const total = await ctx.objectClient(counter, item).add(5);
      ctx.objectSendClient(counter, item).add(1);
      const [a, b] = await RestatePromise.all([ctx.run("a", () => 1), ctx.sleep(10).map(() => 2)]);
      const winner = await RestatePromise.race([ctx.sleep(50).map(() => "slow"), ctx.sleep(20).map(() => "fast")]);
      const failed = await ctx.run("charge", () => Promise.reject(new TerminalError("declined"))).catch((e: Error) => e.message);
      const signal = ctx.awakeable<string>();
      await ctx.run("publish", () => void published.push(signal.id));
      const signalled = await signal.promise.orTimeout(60_000);
      return { id, total, a, b, winner, failed, signalled, date: await ctx.date.now(), rand: ctx.rand.random() };
    },
  },
});
let published: string[] = [];

const approval = workflow({
  name: "approval",
  handlers: {
    run: async (ctx: WorkflowContext, who: string) => {
      ctx.set("stage", "waiting");
      const verdict = await ctx.promise<string>("verdict");
      ctx.set("stage", verdict);
      return `${who}: ${verdict}`;
    },
    decide: async (ctx: WorkflowSharedContext, verdict: string) => {
      const before = await ctx.promise<string>("verdict").peek();
      await ctx.promise<string>("verdict").resolve(verdict);
      return { before: before ?? null, stage: await ctx.get("stage") };
    },
  },
});

type Scenario = (rt: MemoryRuntime) => Promise<void>;
const scenarios: Record<string, Scenario> = {
  counter: async (rt) => {
    await rt.invoke("counter", "add", 3, { key: "k" });
    await rt.invoke("counter", "add", 9, { key: "k" });
    await rt.advance(2_000);
  },
  orders: async (rt) => {
    published = [];
    await rt.invoke("orders", "place", "book");
    await rt.advance(1_100);
    await rt.resolveAwakeable(published[0]!, "go");
    await rt.advance(1_000);
  },
  workflow: async (rt) => {
    await rt.invoke("approval", "run", "ada", { key: "w1" });
    await rt.invoke("approval", "decide", "yes", { key: "w1" });
  },
};

async function record(name: string, alwaysReplay: boolean) {
  const rt = runtime([counter, orders, approval], alwaysReplay);
  await scenarios[name]!(rt);
  const infos = rt.invocations();
  return {
    journals: infos.map((info) => ({ target: info.target, journal: lines(rt.journal(info.id)) })),
    results: infos.map((info) => [info.status, info.completion]),
    attempts: infos.reduce((n, info) => n + info.attempts, 0),
    entries: infos.reduce((n, info) => n + rt.journal(info.id).length, 0),
  };
}

describe("always-replay against a normal run (stored golden journals: golden.test.ts)", () => {
  for (const name of Object.keys(scenarios)) {
    it(`${name}: always-replay records the same journal and results as a normal run`, async () => {
      const normal = await record(name, false);
      const replayed = await record(name, true);
      expect(normal.journals.length).toBeGreaterThan(0);
      expect(normal.results.every(([status]) => status === "completed")).toBe(true);
      expect(replayed.journals).toEqual(normal.journals);
      expect(replayed.results).toEqual(normal.results);
      // Always-replay really replayed: at least one fresh attempt per recorded entry.
      expect(replayed.attempts).toBeGreaterThan(normal.entries);
    });
  }

  it("orders: the journal has the expected shape", async () => {
    const rt = runtime([counter, orders, approval]);
    await scenarios.orders!(rt);
    const place = rt.invocations().find((i) => i.target.handler === "place")!;
    expect(shape(rt.journal(place.id))).toEqual([
      "run(reserve)",
      "call(counter/book/add)",
      "send(counter/book/add)",
      "run(a)",
      "sleep()",
      "combinator(all)",
      "sleep()",
      "sleep()",
      "combinator(race)",
      "run(charge)",
      "awakeable()",
      "run(publish)",
      "sleep()",
      "combinator(race)",
      "run(date.now)",
    ]);
    expect(rt.result(place.id)).toEqual({
      id: "r-book",
      total: { count: 5, keys: ["count"] },
      a: 1,
      b: 2,
      winner: "fast",
      failed: "declined",
      signalled: "go",
      date: 1_100,
      rand: expect.any(Number),
    });
    expect(rt.getState("counter", "book", "count")).toBe(6);
  });
});
