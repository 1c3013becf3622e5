/**
 * Engine bugs found while building the memory runtime. Each test names its bug.
 * Fixed ones guard against regressions; open ones fail until the engine is fixed.
 */
import { describe, expect, it } from "vitest";
import type { Context, WorkflowContext } from "../../sdk/context.js";
import { service, workflow } from "../../sdk/define.js";
import { TerminalError } from "../../sdk/errors.js";
import { serde } from "../../sdk/serde.js";
import { MODES, runtime } from "./support.js";

const promises = workflow({
  name: "promises",
  handlers: {
    rejectedPeek: async (ctx: WorkflowContext) => {
      await ctx.promise<string>("p").reject("nope");
      return ctx.promise<string>("p").peek().catch((e: Error) => `caught: ${e.message}`);
    },
    run: async (ctx: WorkflowContext) => {
      const bytes = new Uint8Array([0xff, 0x00, 0x80]);
      await ctx.promise<Uint8Array>("bin", serde.binary).resolve(bytes);
      const peeked = await ctx.promise<Uint8Array>("bin", serde.binary).peek();
      return [...(peeked ?? [])];
    },
  },
});

describe.each(MODES)("engine regressions ($mode)", ({ alwaysReplay }) => {
  // Fixed in context-core.ts `captured()`: decode ran outside the promise, so the
  // TerminalError of a rejected promise's peek() escaped `.catch()` and failed the invocation.
  it("regression peek-rejected-throws-synchronously: peek() of a rejected promise returns a rejected promise", async () => {
    const rt = runtime([promises], alwaysReplay);
    expect(await rt.call("promises", "rejectedPeek", undefined, { key: "a" })).toBe("caught: nope");
  });

  // Open: context-impl.ts peekRecord() stores the value as UTF-8 text (decoder.decode),
  // so bytes that are not valid UTF-8 come back as U+FFFD. get() is unaffected.
  it("regression peek-binary-corrupts-bytes: peek() returns a binary promise's bytes unchanged", async () => {
    const rt = runtime([promises], alwaysReplay);
    expect(await rt.call("promises", "run", undefined, { key: "b" })).toEqual([0xff, 0x00, 0x80]);
  });

  // Open: run.ts failed() never looks at runRetryPolicy().maxDurationMs, and the Host
  // port only counts failures (no first-failure time), so the run retries forever.
  it("regression run-max-retry-duration-ignored: a run stops retrying after maxRetryDuration", async () => {
    let executions = 0;
    const svc = service({
      name: "deadline",
      handlers: {
        go: async (ctx: Context) => {
          try {
            await ctx.run("x", () => {
              executions++;
              throw new Error("down");
            }, { maxRetryDuration: 1_000, initialRetryInterval: 100, retryIntervalFactor: 1 });
            return "ok";
          } catch (e) {
            return e instanceof TerminalError ? "gave up" : "other";
          }
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("deadline", "go");
    await rt.advance(5_000);
    expect(rt.info(id).status).toBe("completed");
    expect(rt.result(id)).toBe("gave up");
    expect(executions).toBeLessThanOrEqual(12);
  });
});
