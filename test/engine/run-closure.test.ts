/**
 * issue #11: context calls made inside a ctx.run closure are refused with a clear
 * TerminalError, as Restate's SDK does, instead of journaling inside the step.
 * Detected: calls from the closure's synchronous part (see run-guard.ts).
 */
import { describe, expect, it } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { object } from "../../sdk/define.js";
import { TerminalError } from "../../sdk/errors.js";
import { RestatePromise } from "../../sdk/promise.js";
import { MODES, runtime, shape } from "./support.js";

/** Runs `misuse` inside a ctx.run closure; returns what the handler saw. */
const inside = (misuse: (ctx: ObjectContext) => unknown) => async (ctx: ObjectContext) => {
  try {
    await ctx.run("charge", () => misuse(ctx));
    return "allowed";
  } catch (e) {
    return e instanceof TerminalError ? `refused: ${e.message}` : `other: ${String(e)}`;
  }
};

const other = object({ name: "other", handlers: { noop: async () => 1 } });

const misuses = object({
  name: "misuses",
  handlers: {
    sleep: inside((ctx) => ctx.sleep(10)),
    set: inside((ctx) => ctx.set("count", 1)),
    get: inside((ctx) => ctx.get("count")),
    nestedRun: inside((ctx) => ctx.run("inner", () => 1)),
    rand: inside((ctx) => ctx.rand.random()),
    date: inside((ctx) => ctx.date.now()),
    call: inside((ctx) => ctx.objectClient(other, "o").noop()),
    send: inside((ctx) => ctx.objectSendClient(other, "o").noop()),
    awakeable: inside((ctx) => ctx.awakeable()),
    /** Not a misuse: the handler's own calls while a run is in flight, and parallel runs. */
    concurrent: async (ctx: ObjectContext) => {
      const [a, b] = await RestatePromise.all([
        ctx.run("a", async () => {
          await Promise.resolve(); // still executing while the handler calls what follows
          return 1;
        }),
        ctx.run("b", () => 2),
        ctx.sleep(10),
      ]);
      ctx.set("sum", (a as number) + (b as number));
      return (await ctx.get<number>("sum")) ?? 0;
    },
    uncaught: async (ctx: ObjectContext) => ctx.run("charge", () => ctx.set("count", 1)),
  },
});

describe.each(MODES)("context calls inside ctx.run ($mode)", ({ alwaysReplay }) => {
  it.each([
    ["sleep", "ctx.sleep()"],
    ["set", "ctx.set()"],
    ["get", "ctx.get()"],
    ["nestedRun", "ctx.run()"],
    ["rand", "ctx.rand"],
    ["date", "ctx.date.now()"],
    ["call", "a call through a client"],
    ["send", "a send through a send client"],
    ["awakeable", "ctx.awakeable()"],
  ])("issue #11: %s inside the closure is refused, and nothing is journaled inside the step", async (handler, call) => {
    const rt = runtime([misuses, other], alwaysReplay);
    const id = await rt.invoke("misuses", handler, undefined, { key: "k" });
    const result = rt.result<string>(id);
    expect(result).toContain(`refused: ${call}`);
    expect(result).toContain('inside the closure of ctx.run("charge")');
    expect(result).toContain("Make the call outside the closure");
    // Only the run itself (journaled with its terminal failure): no entry from inside it.
    expect(shape(rt.journal(id))).toEqual(["run(charge)"]);
    expect(rt.getState("misuses", "k", "count")).toBeNull();
  });

  it("the handler's own calls while a run is in flight, and parallel runs, are allowed", async () => {
    const rt = runtime([misuses, other], alwaysReplay);
    const id = await rt.invoke("misuses", "concurrent", undefined, { key: "k" });
    await rt.advance(10);
    expect(rt.result(id)).toBe(3);
  });

  it("uncaught, the refusal fails the invocation with its message", async () => {
    const rt = runtime([misuses, other], alwaysReplay);
    await expect(rt.call("misuses", "uncaught", undefined, { key: "k" })).rejects.toThrow(/ctx\.set\(\) was called inside the closure of ctx\.run\("charge"\)/);
  });
});
