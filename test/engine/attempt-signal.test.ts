/** `ctx.request().attemptCompletedSignal`: aborted when the attempt ends, fresh for each attempt. */
import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { runtime } from "./support.js";

describe("attemptCompletedSignal", () => {
  it("is live while the attempt runs and aborted once it has finished", async () => {
    const signals: AbortSignal[] = [];
    const seenDuring: boolean[] = [];
    const svc = service({
      name: "probe",
      handlers: {
        go: async (ctx: Context) => {
          const signal = ctx.request().attemptCompletedSignal;
          signals.push(signal);
          await ctx.sleep(10);
          seenDuring.push(signal.aborted);
          return "ok";
        },
      },
    });
    const rt = runtime([svc]);
    const id = await rt.invoke("probe", "go");
    await rt.advance(10);
    expect(rt.result(id)).toBe("ok");
    expect(seenDuring).toEqual([false]);
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  it("reaches the I/O of a run in flight when the invocation is killed", async () => {
    const events: string[] = [];
    const svc = service({
      name: "slowio",
      handlers: {
        go: async (ctx: Context) =>
          ctx.run("download", () => {
            const signal = ctx.request().attemptCompletedSignal;
            return new Promise<string>((_resolve, reject) => {
              signal.addEventListener("abort", () => {
                events.push("download aborted");
                reject(new Error("aborted"));
              });
            });
          }),
      },
    });
    const rt = runtime([svc]);
    const id = await rt.invoke("slowio", "go");
    expect(events).toEqual([]);
    await rt.kill(id);
    expect(events).toEqual(["download aborted"]);
    expect(() => rt.result(id)).toThrow("killed");
  });

  it("is a new, live signal for each retry", async () => {
    const states: string[] = [];
    let attempts = 0;
    const svc = service({
      name: "retrying",
      handlers: {
        go: async (ctx: Context) => {
          const signal = ctx.request().attemptCompletedSignal;
          states.push(`attempt ${++attempts} starts ${signal.aborted ? "aborted" : "live"}`);
          signal.addEventListener("abort", () => states.push(`attempt ${attempts} ended`));
          if (attempts < 2) throw new Error("again");
          return attempts;
        },
      },
    });
    const rt = runtime([svc]);
    const id = await rt.invoke("retrying", "go");
    await rt.advance(500);
    expect(rt.result(id)).toBe(2);
    expect(states).toEqual(["attempt 1 starts live", "attempt 1 ended", "attempt 2 starts live", "attempt 2 ended"]);
  });
});
