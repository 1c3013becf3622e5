import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { handlers, service } from "../../sdk/define.js";
import { PauseError, RetryableError, TerminalError } from "../../sdk/errors.js";
import { lines, MODES, runtime } from "./support.js";

describe.each(MODES)("retries ($mode)", ({ alwaysReplay }) => {
  it("retries a run that throws a plain Error with back-off 500 ms, 1 s, 2 s", async () => {
    let executions = 0;
    const svc = service({
      name: "flaky",
      handlers: {
        go: async (ctx: Context) => {
          const before = await ctx.run("before", () => "b");
          const value = await ctx.run("call-api", () => {
            executions++;
            if (executions < 4) throw new Error(`boom ${executions}`);
            return "ok";
          });
          return `${before}/${value}`;
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("flaky", "go");
    const expected = [500, 1_500, 3_500];
    for (const [i, at] of expected.entries()) {
      expect(rt.info(id)).toMatchObject({ status: "backing-off", failures: i + 1, nextAttemptAt: at });
      expect(rt.info(id).lastError?.message).toBe(`boom ${i + 1}`);
      await rt.advance(at - rt.clock.now() - 1);
      expect(executions).toBe(i + 1); // not a millisecond early
      await rt.advance(1);
      expect(executions).toBe(i + 2);
    }
    expect(rt.result(id)).toBe("b/ok");
    expect(lines(rt.journal(id)).map((l) => l.value)).toEqual(['"b"', '"ok"']);
  });

  it("journals a TerminalError from a run so the handler can compensate", async () => {
    const calls = { charge: 0, refund: 0 };
    const svc = service({
      name: "saga",
      handlers: {
        go: async (ctx: Context) => {
          try {
            await ctx.run("charge", () => {
              calls.charge++;
              throw new TerminalError("card declined", { errorCode: 402 });
            });
            return "charged";
          } catch (e) {
            if (!(e instanceof TerminalError)) throw e;
            await ctx.run("refund", () => void calls.refund++);
            return `compensated: ${e.message} (${e.code})`;
          }
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    rt.crashWhen((_, entry) => entry.name === "charge");
    const id = await rt.invoke("saga", "go");
    expect(rt.result(id)).toBe("compensated: card declined (402)");
    expect(calls).toEqual({ charge: 1, refund: 1 });
    expect(rt.info(id).failures).toBe(0);
    expect(lines(rt.journal(id))[0]).toMatchObject({ type: "run", name: "charge", failure: "TerminalError(402): card declined" });
  });

  it("gives the handler a TerminalError after maxRetryAttempts failures of a run", async () => {
    let executions = 0;
    const svc = service({
      name: "limited",
      handlers: {
        go: async (ctx: Context) => {
          try {
            await ctx.run("x", () => {
              executions++;
              throw new Error("still down");
            }, { maxRetryAttempts: 3 });
            return "ok";
          } catch (e) {
            return { terminal: e instanceof TerminalError, message: (e as Error).message };
          }
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("limited", "go");
    // The run's own policy: 50 ms, then 100 ms.
    expect(rt.info(id).nextAttemptAt).toBe(50);
    await rt.advance(50);
    expect(rt.info(id).nextAttemptAt).toBe(150);
    await rt.advance(100);
    expect(executions).toBe(3);
    expect(rt.result(id)).toEqual({ terminal: true, message: 'ctx.run("x") failed after 3 attempts: still down' });
    await rt.crash(id);
    expect(executions).toBe(3);
  });

  it("waits retryAfter of a RetryableError instead of the back-off", async () => {
    let executions = 0;
    const svc = service({
      name: "throttled",
      handlers: {
        go: async (ctx: Context) =>
          ctx.run("x", () => {
            if (executions++ === 0) throw RetryableError.from(new Error("429"), { retryAfter: 5_000 });
            return "through";
          }),
        body: async (ctx: Context) => {
          // Thrown from the handler itself, before any entry (so always-replay does not run it twice).
          if (executions++ === 0) throw RetryableError.from("busy", { retryAfter: { seconds: 2 } });
          return ctx.run("once", () => "later");
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("throttled", "go");
    expect(rt.info(id)).toMatchObject({ status: "backing-off", nextAttemptAt: 5_000 });
    await rt.advance(4_999);
    expect(executions).toBe(1);
    await rt.advance(1);
    expect(rt.result(id)).toBe("through");

    executions = 0;
    const id2 = await rt.invoke("throttled", "body");
    expect(rt.info(id2).nextAttemptAt).toBe(5_000 + 2_000);
    await rt.advance(2_000);
    expect(rt.result(id2)).toBe("later");
  });

  it("ends at once on a TerminalError from the handler, and retries any other error", async () => {
    let executions = 0;
    const svc = service({
      name: "ends",
      handlers: {
        terminal: async () => {
          throw new TerminalError("bad input", { errorCode: 400 });
        },
        transient: async (ctx: Context) => {
          if (executions++ === 0) throw new Error("glitch");
          return ctx.run("ok", () => "recovered");
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const terminal = await rt.invoke("ends", "terminal");
    expect(rt.info(terminal)).toMatchObject({ status: "completed", failures: 0, completion: { failure: { code: 400, message: "bad input" } } });
    const transient = await rt.invoke("ends", "transient");
    expect(rt.info(transient)).toMatchObject({ status: "backing-off", nextAttemptAt: 500, lastError: { message: "glitch" } });
    await rt.advance(500);
    expect(rt.result(transient)).toBe("recovered");
  });

  it("kills or pauses when the handler's retry policy runs out", async () => {
    const svc = service({
      name: "doomed",
      handlers: {
        kill: handlers.handler({ retryPolicy: { maxAttempts: 2, onMaxAttempts: "kill", initialInterval: 10 } }, async () => {
          throw new Error("nope");
        }),
        pause: handlers.handler({ retryPolicy: { maxAttempts: 2, initialInterval: 10 } }, async () => {
          throw new Error("nope");
        }),
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const killed = await rt.invoke("doomed", "kill");
    const paused = await rt.invoke("doomed", "pause");
    await rt.advance(10);
    expect(() => rt.result(killed)).toThrow("nope (gave up after 2 attempts)");
    expect(rt.info(paused)).toMatchObject({ status: "paused", failures: 2 });
  });
  it("pauses on a PauseError from ctx.run, keeps earlier runs, and runs it again on resume", async () => {
    const executions = { before: 0, review: 0 };
    let approved = false;
    const svc = service({
      name: "payments",
      handlers: {
        charge: async (ctx: Context) => {
          const before = await ctx.run("before", () => ++executions.before);
          const review = await ctx.run("review", () => {
            executions.review++;
            if (!approved) throw new PauseError("needs a human");
            return "approved";
          });
          return `${before}/${review}`;
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("payments", "charge");
    await rt.advance(60_000); // no back-off timer: a paused invocation does not retry by itself
    expect(rt.info(id)).toMatchObject({ status: "paused", failures: 1 });
    expect(rt.info(id).lastError).toMatchObject({ name: "PauseError", message: "needs a human" });
    expect(executions).toEqual({ before: 1, review: 1 });

    approved = true;
    await rt.resume(id);
    expect(rt.result(id)).toBe("1/approved");
    expect(executions).toEqual({ before: 1, review: 2 });
  });

  it("treats a PauseError thrown outside ctx.run as a retryable error", async () => {
    let attempts = 0;
    const svc = service({
      name: "odd",
      handlers: {
        go: async () => {
          if (++attempts < 2) throw new PauseError("not in a run");
          return attempts;
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("odd", "go");
    expect(rt.info(id)).toMatchObject({ status: "backing-off", failures: 1 });
    await rt.advance(500);
    expect(rt.result(id)).toBe(2);
  });
});
