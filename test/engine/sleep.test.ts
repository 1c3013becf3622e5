import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { lines, MODES, runtime } from "./support.js";

function sleeper() {
  const steps = { before: 0, after: 0 };
  const svc = service({
    name: "sleeper",
    handlers: {
      nap: async (ctx: Context, ms: number) => {
        await ctx.run("before", () => steps.before++);
        await ctx.sleep(ms);
        await ctx.run("after", () => steps.after++);
        return "awake";
      },
      long: async (ctx: Context) => {
        await ctx.sleep({ hours: 1, seconds: 30 });
        await ctx.sleep(0);
        return "done";
      },
    },
  });
  return { steps, svc };
}

describe.each(MODES)("sleep ($mode)", ({ alwaysReplay }) => {
  it("resumes after the clock advances, not before", async () => {
    const { steps, svc } = sleeper();
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("sleeper", "nap", 1_000);
    expect(lines(rt.journal(id))[1]).toMatchObject({ type: "sleep", done: false, facts: { wakeAt: 1000 } });
    await rt.advance(999);
    expect(rt.info(id).status).toBe("running");
    expect(steps.after).toBe(0);
    await rt.advance(1);
    expect(rt.result(id)).toBe("awake");
    expect(steps).toEqual({ before: 1, after: 1 });
    expect(lines(rt.journal(id))[1]).toMatchObject({ type: "sleep", done: true });
  });

  it("resumes the live attempt without replay in normal mode", async () => {
    const { svc } = sleeper();
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("sleeper", "nap", 10);
    await rt.advance(10);
    if (alwaysReplay) expect(rt.info(id).attempts).toBeGreaterThan(3);
    else expect(rt.info(id).attempts).toBe(1);
  });

  it("survives a crash while sleeping", async () => {
    const { steps, svc } = sleeper();
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("sleeper", "nap", 60_000);
    await rt.advance(30_000);
    await rt.crash(id);
    expect(rt.info(id)).toMatchObject({ status: "running", live: true });
    await rt.advance(29_999);
    expect(steps.after).toBe(0);
    await rt.advance(1);
    expect(rt.result(id)).toBe("awake");
    expect(steps).toEqual({ before: 1, after: 1 });
  });

  it("wakes a suspended invocation (dropped from memory) by replay", async () => {
    const { steps, svc } = sleeper();
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("sleeper", "nap", 500);
    await rt.crash(id, { replay: false });
    expect(rt.info(id).live).toBe(false);
    await rt.advance(500);
    expect(rt.result(id)).toBe("awake");
    expect(steps.before).toBe(1);
  });

  it("takes durations and zero-length sleeps", async () => {
    const { svc } = sleeper();
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("sleeper", "long");
    await rt.advance(3_600_000);
    expect(rt.info(id).status).toBe("running");
    await rt.advance(30_000);
    expect(rt.result(id)).toBe("done");
  });
});
