import { describe, expect, it } from "vitest";
import type { ObjectContext, ObjectSharedContext } from "../../sdk/context.js";
import { handlers, object } from "../../sdk/define.js";
import { lines, MODES, runtime, shape } from "./support.js";

const store = object({
  name: "store",
  handlers: {
    tour: async (ctx: ObjectContext) => {
      ctx.set("a", 1);
      ctx.set("b", { nested: true });
      const keys = await ctx.stateKeys();
      ctx.clear("a");
      const a = await ctx.get("a");
      const b = await ctx.get("b");
      ctx.clearAll();
      const after = await ctx.stateKeys();
      return { keys, a, b, after };
    },
    incr: async (ctx: ObjectContext) => {
      const n = ((await ctx.get<number>("n")) ?? 0) + 1;
      ctx.set("n", n);
      await ctx.run("notify", () => n);
      return n;
    },
    readTwice: async (ctx: ObjectContext) => {
      const first = await ctx.get<string>("v");
      await ctx.sleep(100);
      return first;
    },
    peek: handlers.object.shared(async (ctx: ObjectSharedContext) => ctx.get<number>("n")),
    sneakyWrite: handlers.object.shared(async (ctx: ObjectSharedContext) => {
      (ctx as unknown as ObjectContext).set("n", 99);
      return "wrote";
    }),
  },
});

describe.each(MODES)("state ($mode)", ({ alwaysReplay }) => {
  it("journals get, set, clear, clearAll and stateKeys", async () => {
    const rt = runtime([store], alwaysReplay);
    const id = await rt.invoke("store", "tour", undefined, { key: "k" });
    expect(rt.result(id)).toEqual({ keys: ["a", "b"], a: null, b: { nested: true }, after: [] });
    expect(shape(rt.journal(id))).toEqual([
      "setState(a)",
      "setState(b)",
      "getStateKeys()",
      "clearState(a)",
      "getState(a)",
      "getState(b)",
      "clearAllState()",
      "getStateKeys()",
    ]);
    const journal = lines(rt.journal(id));
    expect(journal[2]?.value).toBe('["a","b"]');
    expect(journal[5]?.value).toBe('{"nested":true}');
    expect(rt.store("store", "k").stateKeys("")).toEqual([]);
  });

  it("keeps state per key", async () => {
    const rt = runtime([store], alwaysReplay);
    await rt.call("store", "incr", undefined, { key: "x" });
    await rt.call("store", "incr", undefined, { key: "x" });
    await rt.call("store", "incr", undefined, { key: "y" });
    expect(rt.getState("store", "x", "n")).toBe(2);
    expect(rt.getState("store", "y", "n")).toBe(1);
    expect(await rt.call("store", "peek", undefined, { key: "x" })).toBe(2);
  });

  it("refuses ctx.set in a shared handler with a TerminalError", async () => {
    const rt = runtime([store], alwaysReplay);
    const id = await rt.invoke("store", "sneakyWrite", undefined, { key: "k" });
    expect(() => rt.result(id)).toThrow(/ctx\.set\(\) is not allowed in a shared handler/);
    expect(rt.info(id)).toMatchObject({ status: "completed", failures: 0 });
    expect(rt.info(id).completion).toMatchObject({ failure: { name: "TerminalError" } });
    expect(rt.getState("store", "k", "n")).toBeNull();
  });

  it("stays consistent across a crash right after a set", async () => {
    const rt = runtime([store], alwaysReplay);
    rt.crashWhen((_, entry) => entry.type === "setState");
    const id = await rt.invoke("store", "incr", undefined, { key: "k" });
    expect(rt.result(id)).toBe(1);
    expect(rt.getState("store", "k", "n")).toBe(1);
    expect(shape(rt.journal(id))).toEqual(["getState(n)", "setState(n)", "run(notify)"]);
    expect(await rt.call("store", "incr", undefined, { key: "k" })).toBe(2);
  });

  it("replays recorded reads even when the stored value changed since", async () => {
    const rt = runtime([store], alwaysReplay);
    rt.store("store", "k").setState("", "v", new TextEncoder().encode('"old"'));
    const id = await rt.invoke("store", "readTwice", undefined, { key: "k" });
    rt.store("store", "k").setState("", "v", new TextEncoder().encode('"new"'));
    await rt.crash(id);
    await rt.advance(100);
    expect(rt.result(id)).toBe("old");
  });
});
