import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { TerminalError, TimeoutError } from "../../sdk/errors.js";
import { RestatePromise } from "../../sdk/promise.js";
import { lines, MODES, runtime } from "./support.js";

const fail = (message: string) => () => Promise.reject(new TerminalError(message));
let published: string[] = [];

const combos = service({
  name: "combos",
  handlers: {
    all: async (ctx: Context) => RestatePromise.all([ctx.run("a", () => 1), ctx.sleep(30).map(() => "slept"), ctx.run("c", () => ({ c: true }))]),
    allFails: async (ctx: Context) =>
      RestatePromise.all([ctx.sleep(10), ctx.run("bad", fail("nope"))]).then(
        () => "resolved",
        (e: Error) => `rejected: ${e.message}`,
      ),
    race: async (ctx: Context) => RestatePromise.race([ctx.sleep(200).map(() => "slow"), ctx.sleep(100).map(() => "fast")]),
    any: async (ctx: Context) => RestatePromise.any([ctx.run("x", fail("x failed")), ctx.sleep(5).map(() => "sleeper")]),
    anyAllFail: async (ctx: Context) =>
      RestatePromise.any([ctx.run("x", fail("x")), ctx.run("y", fail("y"))]).catch((e: Error) => `${e instanceof TerminalError}: ${e.message}`),
    allSettled: async (ctx: Context) => RestatePromise.allSettled([ctx.run("ok", () => 7), ctx.run("ko", fail("broken"))]).then((r) =>
      r.map((s) => (s.status === "fulfilled" ? `ok:${s.value}` : `ko:${(s.reason as Error).message}`)),
    ),
    timeout: async (ctx: Context, ms: number) => {
      const signal = ctx.awakeable<string>();
      await ctx.run("publish", () => void published.push(signal.id));
      try {
        return await signal.promise.orTimeout(ms);
      } catch (e) {
        return { timedOut: e instanceof TimeoutError, code: (e as TimeoutError).code };
      }
    },
    map: async (ctx: Context) => {
      const doubled = await ctx.run("n", () => 21).map((v) => v! * 2);
      const described = await ctx.run("bad", fail("kaput")).map((v, failure) => (failure ? `failed: ${failure.message}` : `value ${v}`));
      return { doubled, described };
    },
    raceThenPark: async (ctx: Context) => {
      const signal = ctx.awakeable<string>();
      await ctx.run("publish", () => void published.push(signal.id));
      const winner = await RestatePromise.race([signal.promise.map((v) => `awakeable:${v}`), ctx.sleep(100).map(() => "sleep")]);
      await ctx.sleep(1_000);
      return winner;
    },
  },
});

describe.each(MODES)("combinators ($mode)", ({ alwaysReplay }) => {
  const rt = () => runtime([combos], alwaysReplay);

  it("all waits for every input and keeps input order", async () => {
    const r = rt();
    const id = await r.invoke("combos", "all");
    expect(r.info(id).status).toBe("running");
    await r.advance(30);
    expect(r.result(id)).toEqual([1, "slept", { c: true }]);
    expect(await r.call("combos", "allFails")).toBe("rejected: nope");
  });

  it("race takes the first to settle", async () => {
    const r = rt();
    const id = await r.invoke("combos", "race");
    await r.advance(100);
    expect(r.result(id)).toBe("fast");
    const combinator = lines(r.journal(id)).find((l) => l.type === "combinator");
    expect(combinator).toMatchObject({ name: "race", facts: { order: [{ index: 1, ok: true }] } });
  });

  it("any takes the first success and fails when all fail", async () => {
    const r = rt();
    const id = await r.invoke("combos", "any");
    await r.advance(5);
    expect(r.result(id)).toBe("sleeper");
    expect(await r.call("combos", "anyAllFail")).toBe("true: All promises passed to any() were rejected");
  });

  it("allSettled reports every outcome", async () => {
    expect(await rt().call("combos", "allSettled")).toEqual(["ok:7", "ko:broken"]);
  });

  it("orTimeout fails with TimeoutError when the sleep wins", async () => {
    published = [];
    const r = rt();
    const id = await r.invoke("combos", "timeout", 1_000);
    await r.advance(999);
    expect(r.info(id).status).toBe("running");
    await r.advance(1);
    expect(r.result(id)).toEqual({ timedOut: true, code: 408 });
    // The invocation is over: its awakeable can no longer be completed (as ingress answers 404).
    await expect(r.resolveAwakeable(published[0]!, "too late")).rejects.toThrow(/not found/);
    expect(r.result(id)).toEqual({ timedOut: true, code: 408 });
  });

  it("orTimeout passes the value through when it comes first", async () => {
    published = [];
    const r = rt();
    const id = await r.invoke("combos", "timeout", 1_000);
    await r.advance(500);
    await r.resolveAwakeable(published[0]!, "in time");
    expect(r.result(id)).toBe("in time");
    await r.advance(1_000);
    expect(r.result(id)).toBe("in time");
  });

  it("map transforms values and terminal failures", async () => {
    expect(await rt().call("combos", "map")).toEqual({ doubled: 42, described: "failed: kaput" });
  });

  it("race keeps the recorded winner on replay when both inputs are complete by then", async () => {
    published = [];
    const r = rt();
    const id = await r.invoke("combos", "raceThenPark");
    await r.advance(100); // the sleep wins
    await r.resolveAwakeable(published[0]!, "late"); // now both inputs are complete in the journal
    const awakeable = lines(r.journal(id)).find((l) => l.type === "awakeable");
    expect(awakeable).toMatchObject({ done: true, value: '"late"' });
    await r.crash(id); // replay: the awakeable (lower index) would settle first without the journaled order
    await r.advance(1_000);
    expect(r.result(id)).toBe("sleep");
  });
});
