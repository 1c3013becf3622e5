import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { TerminalError, TimeoutError } from "../../sdk/errors.js";
import { RestatePromise, isRestatePromise } from "../../sdk/promise.js";
import { MODES, runtime, shape } from "./support.js";

/** What a rejected promise turned into, as JSON the handler can return. */
const outcome = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ value }),
    (e: Error) => ({ error: e.message, terminal: e instanceof TerminalError, timeout: e instanceof TimeoutError }),
  );

const statics = service({
  name: "statics",
  handlers: {
    resolve: async () => {
      const p = RestatePromise.resolve(21);
      return {
        isRestate: isRestatePromise(p),
        value: await p,
        mapped: await p.map((v) => v! * 2),
        timed: await p.orTimeout(10),
        mapIsRestate: isRestatePromise(p.map((v) => v)),
        timeoutIsRestate: isRestatePromise(p.orTimeout(10)),
      };
    },
    resolveKeepsRestatePromise: async (ctx: Context) => {
      const run = ctx.run("r", () => 1);
      return { same: RestatePromise.resolve(run) === run, value: await RestatePromise.resolve(run) };
    },
    reject: async () => {
      const p = RestatePromise.reject<number>(new TerminalError("nope", { errorCode: 422 }));
      return {
        isRestate: isRestatePromise(p),
        awaited: await outcome(p),
        code: await p.catch((e: TerminalError) => e.code),
        mapped: await p.map((v, failure) => (failure ? `failed: ${failure.message}` : `value ${v}`)),
        timed: await outcome(p.orTimeout(10)),
      };
    },
    check: async (ctx: Context) => ({
      run: isRestatePromise(ctx.run("r", () => 1)),
      sleep: isRestatePromise(ctx.sleep(1)),
      mapped: isRestatePromise(ctx.sleep(1).map(() => 1)),
      awakeable: isRestatePromise(ctx.awakeable<string>().promise),
      plain: isRestatePromise(Promise.resolve(1)),
      others: [null, undefined, 1, "p", {}, { then() {} }, { orTimeout() {}, map() {} }].map(isRestatePromise),
    }),
    empty: async () => {
      const all = RestatePromise.all([]);
      const allSettled = RestatePromise.allSettled([]);
      return {
        isRestate: [isRestatePromise(all), isRestatePromise(allSettled)],
        values: [await all, await allSettled],
        mapped: [await all.map((v) => v!.length), await allSettled.map((v) => v!.length)],
        timed: [await all.orTimeout(10), await allSettled.orTimeout(10)],
      };
    },
    constantsOnly: async () => ({
      all: await RestatePromise.all([RestatePromise.resolve(1), RestatePromise.resolve("two")]),
      allFails: await outcome(RestatePromise.all([RestatePromise.resolve(1), RestatePromise.reject(new TerminalError("bad"))])),
      race: await RestatePromise.race([RestatePromise.resolve("first"), RestatePromise.resolve("second")]),
      any: await RestatePromise.any([RestatePromise.reject(new TerminalError("x")), RestatePromise.resolve(3)]),
      anyFails: await outcome(RestatePromise.any([RestatePromise.reject(new TerminalError("x"))])),
      allSettled: await RestatePromise.allSettled([RestatePromise.resolve(1), RestatePromise.reject(new TerminalError("y"))]).map((r) =>
        r!.map((s) => s.status),
      ),
    }),
    mixed: async (ctx: Context) => {
      const all = await RestatePromise.all([RestatePromise.resolve(1), ctx.run("two", () => 2)]);
      const race = await RestatePromise.race([ctx.sleep(1_000).map(() => "slept"), RestatePromise.resolve("now")]);
      return { all, race };
    },
  },
});

describe("RestatePromise statics outside a handler", () => {
  it("race of nothing is refused (it would never settle) and plain promises are still refused", () => {
    expect(() => RestatePromise.race([])).toThrow(TypeError);
    expect(() => RestatePromise.all([Promise.resolve(1) as never])).toThrow(/returned by a context/);
  });
});

describe.each(MODES)("RestatePromise statics ($mode)", ({ alwaysReplay }) => {
  const rt = () => runtime([statics], alwaysReplay);

  it("resolve gives a settled RestatePromise whose map works and whose orTimeout never times out", async () => {
    const r = rt();
    const id = await r.invoke("statics", "resolve");
    expect(r.result(id)).toEqual({ isRestate: true, value: 21, mapped: 42, timed: 21, mapIsRestate: true, timeoutIsRestate: true });
    expect(r.journal(id)).toEqual([]);
    expect(await r.call("statics", "resolveKeepsRestatePromise")).toEqual({ same: true, value: 1 });
  });

  it("reject gives a settled RestatePromise: map sees the failure, orTimeout rejects with it", async () => {
    const r = rt();
    const id = await r.invoke("statics", "reject");
    expect(r.result(id)).toEqual({
      isRestate: true,
      awaited: { error: "nope", terminal: true, timeout: false },
      code: 422,
      mapped: "failed: nope",
      timed: { error: "nope", terminal: true, timeout: false },
    });
    expect(r.journal(id)).toEqual([]);
  });

  it("isRestatePromise tells context promises from plain promises and other values", async () => {
    expect(await rt().call("statics", "check")).toEqual({
      run: true,
      sleep: true,
      mapped: true,
      awakeable: true,
      plain: false,
      others: [false, false, false, false, false, false, false],
    });
  });

  it("all and allSettled of an empty list give RestatePromises of []", async () => {
    const r = rt();
    const id = await r.invoke("statics", "empty");
    expect(r.result(id)).toEqual({ isRestate: [true, true], values: [[], []], mapped: [0, 0], timed: [[], []] });
    expect(r.journal(id)).toEqual([]);
  });

  it("combines resolve/reject promises without a context or a journal entry", async () => {
    const r = rt();
    const id = await r.invoke("statics", "constantsOnly");
    expect(r.result(id)).toEqual({
      all: [1, "two"],
      allFails: { error: "bad", terminal: true, timeout: false },
      race: "first",
      any: 3,
      anyFails: { error: "All promises passed to any() were rejected", terminal: true, timeout: false },
      allSettled: ["fulfilled", "rejected"],
    });
    expect(r.journal(id)).toEqual([]);
  });

  it("mixes with context promises in journaled combinators", async () => {
    const r = rt();
    const id = await r.invoke("statics", "mixed");
    expect(r.result(id)).toEqual({ all: [1, 2], race: "now" });
    expect(shape(r.journal(id))).toEqual(["run(two)", "combinator(all)", "sleep()", "combinator(race)"]);
  });
});
