import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { lines, runtime, shape } from "./support.js";

function threeSteps() {
  const runs = { a: 0, b: 0, c: 0 };
  const svc = service({
    name: "steps",
    handlers: {
      go: async (ctx: Context, n: number) => {
        const a = await ctx.run("a", () => (runs.a++, n + 1));
        const b = await ctx.run("b", () => (runs.b++, a * 10));
        const c = await ctx.run("c", () => (runs.c++, `${a}-${b}`));
        return { a, b, c };
      },
    },
  });
  return { runs, svc };
}

describe("replay after a crash", () => {
  it("does not re-execute journaled steps and gives the same result", async () => {
    const normal = threeSteps();
    const reference = await runtime([normal.svc]).call("steps", "go", 4);

    const { runs, svc } = threeSteps();
    const rt = runtime([svc]);
    rt.crashWhen((_, entry) => entry.type === "run" && entry.name === "b");
    const id = await rt.invoke("steps", "go", 4);

    expect(rt.result(id)).toEqual(reference);
    expect(reference).toEqual({ a: 5, b: 50, c: "5-50" });
    expect(runs).toEqual({ a: 1, b: 1, c: 1 });
    expect(rt.info(id).attempts).toBe(2);
    expect(shape(rt.journal(id))).toEqual(["run(a)", "run(b)", "run(c)"]);
  });

  it("replays a suspended invocation when its completion arrives", async () => {
    const { runs, svc } = threeSteps();
    let gate = 0;
    const waiting = service({
      name: "waiting",
      handlers: {
        go: async (ctx: Context) => {
          const before = await ctx.run("before", () => ++gate);
          await ctx.sleep(100);
          return before;
        },
      },
    });
    const rt = runtime([svc, waiting]);
    const id = await rt.invoke("waiting", "go");
    await rt.crash(id, { replay: false });
    expect(rt.info(id)).toMatchObject({ status: "running", live: false, attempts: 1 });
    await rt.advance(100);
    expect(rt.result(id)).toBe(1);
    expect(gate).toBe(1);
    expect(rt.info(id).attempts).toBe(2);
    expect(runs.a).toBe(0);
  });

  it("replays a crash at any entry with the same journal", async () => {
    const reference = threeSteps();
    const rtRef = runtime([reference.svc]);
    const refId = await rtRef.invoke("steps", "go", 1);
    for (let at = 0; at < 3; at++) {
      const { runs, svc } = threeSteps();
      const rt = runtime([svc]);
      rt.crashWhen((_, entry) => entry.index === at);
      const id = await rt.invoke("steps", "go", 1);
      expect(lines(rt.journal(id))).toEqual(lines(rtRef.journal(refId)));
      expect(runs).toEqual({ a: 1, b: 1, c: 1 });
    }
  });
});

describe("ctx.console", () => {
  it("is silent while replaying, in both modes", async () => {
    for (const alwaysReplay of [false, true]) {
      const svc = service({
        name: "chatty",
        handlers: {
          go: async (ctx: Context) => {
            ctx.console.log("start");
            await ctx.sleep(10);
            ctx.console.info("end");
            return "ok";
          },
        },
      });
      const rt = runtime([svc], alwaysReplay);
      const id = await rt.invoke("chatty", "go");
      await rt.crash(id);
      await rt.advance(10);
      expect(rt.result(id)).toBe("ok");
      expect(rt.info(id).attempts).toBeGreaterThanOrEqual(2);
      expect(rt.logs.filter((l) => l.invocationId === id).map((l) => [l.level, l.args[0]])).toEqual([
        ["info", "start"],
        ["info", "end"],
      ]);
    }
  });
});
