/**
 * issue #10: a delay that cannot be one (longer than MAX_DELAY_MS, or not a
 * number) ends the invocation with a TerminalError naming the limit, wherever a
 * handler gives it: ctx.sleep, orTimeout, a delayed send, RetryableError's retryAfter.
 */
import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service } from "../../sdk/define.js";
import { rpc } from "../../sdk/client-types.js";
import { RetryableError } from "../../sdk/errors.js";
import { MAX_DELAY_MS } from "../../sdk/duration.js";
import { MODES, runtime } from "./support.js";

const target = service({ name: "target", handlers: { ping: async () => "pong" } });

const delays = service({
  name: "delays",
  handlers: {
    sleep: async (ctx: Context, ms: number) => ctx.sleep(ms),
    sleepNaN: async (ctx: Context) => ctx.sleep({ seconds: Number.NaN }),
    timeout: async (ctx: Context, ms: number) => ctx.sleep(1).orTimeout(ms),
    send: async (ctx: Context, ms: number) => {
      ctx.serviceSendClient(target).ping(undefined, rpc.sendOpts({ delay: ms }));
    },
    retryAfter: async (_ctx: Context, ms: number) => {
      throw new RetryableError("later", { retryAfter: ms });
    },
    runRetryAfter: async (ctx: Context, ms: number) => {
      await ctx.run("step", () => {
        throw new RetryableError("later", { retryAfter: ms });
      });
    },
  },
});

const TOO_LONG = MAX_DELAY_MS + 1;

describe.each(MODES)("delay limits ($mode)", ({ alwaysReplay }) => {
  it.each([
    ["sleep", "ctx.sleep"],
    ["timeout", "orTimeout"],
    ["send", "send delay"],
    ["retryAfter", "RetryableError retryAfter"],
  ])("%s past the maximum fails terminally (400) with the limit, without a retry", async (handler, what) => {
    const rt = runtime([delays, target], alwaysReplay);
    const id = await rt.invoke("delays", handler, TOO_LONG);
    const info = rt.info(id);
    expect(info).toMatchObject({ status: "completed", failures: 0, completion: { failure: { code: 400 } } });
    const failure = (info.completion as { failure: { message: string } }).failure.message;
    expect(failure).toBe(`${what}: the delay ${TOO_LONG} cannot be used: it is longer than the maximum of ${MAX_DELAY_MS} ms (100 years)`);
  });

  it("a ctx.run's retryAfter past the maximum fails the step terminally", async () => {
    const rt = runtime([delays, target], alwaysReplay);
    await expect(rt.call("delays", "runRetryAfter", 1e30)).rejects.toThrow(/RetryableError retryAfter: the delay 1e\+30 cannot be used/);
  });

  it("a NaN duration is refused too; the maximum itself is allowed", async () => {
    const rt = runtime([delays, target], alwaysReplay);
    await expect(rt.call("delays", "sleepNaN")).rejects.toThrow('ctx.sleep: the delay {"seconds":"NaN"} cannot be used: it is not a number');
    const id = await rt.invoke("delays", "sleep", MAX_DELAY_MS);
    expect(rt.info(id).status).toBe("running");
  });
});
