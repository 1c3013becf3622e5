/**
 * Issue #10 (defect 5): sizes are checked where values enter the journal, with a
 * TerminalError that names the limit and the value's size; never retried. The
 * memory runtime applies the same rule as the Durable Objects.
 */
import { describe, expect, it } from "vitest";
import type { Context, ObjectContext } from "../../sdk/context.js";
import { object, service } from "../../sdk/define.js";
import { LIMIT_EXCEEDED_CODE, MAX_ERROR_MESSAGE_CHARS, MAX_VALUE_BYTES, boundedError } from "../../src/engine/limits.js";
import { MODES, lines, runtime } from "./support.js";

const big = (): string => "x".repeat(MAX_VALUE_BYTES); // JSON adds the quotes: two bytes over
const fits = (): string => "x".repeat(MAX_VALUE_BYTES - 2);

const sink = service({ name: "sink", handlers: { take: async (_ctx: Context, _s: string) => "taken" } });

const heavy = object({
  name: "heavy",
  handlers: {
    setState: async (ctx: ObjectContext, size: "big" | "fits") => {
      ctx.set("v", size === "big" ? big() : fits());
      return "set";
    },
    runResult: async (ctx: ObjectContext) => {
      try {
        await ctx.run("produce", () => big());
        return "kept";
      } catch (error) {
        return `compensated: ${(error as Error).message}`;
      }
    },
    result: async () => big(),
    callWith: async (ctx: ObjectContext) => ctx.serviceClient(sink).take(big()),
    promise: async (ctx: ObjectContext) => {
      const { id } = ctx.awakeable<string>();
      ctx.resolveAwakeable(id, big());
      return "resolved";
    },
  },
});

describe.each(MODES)("issue #10: value sizes ($mode)", ({ alwaysReplay }) => {
  const rt = () => runtime([heavy, sink], alwaysReplay);

  it("a state value over MAX_VALUE_BYTES fails the invocation terminally, in one attempt, naming the limit", async () => {
    const r = rt();
    const id = await r.invoke("heavy", "setState", "big", { key: "k" });
    expect(() => r.result(id)).toThrow(`the state value 'v' is ${MAX_VALUE_BYTES + 2} bytes, over the limit of ${MAX_VALUE_BYTES} bytes (MAX_VALUE_BYTES)`);
    expect(r.info(id)).toMatchObject({ status: "completed", failures: 0, completion: { failure: { code: LIMIT_EXCEEDED_CODE } } });
    expect(r.getState("heavy", "k", "v")).toBeNull();
    expect(await r.call("heavy", "setState", "fits", { key: "k" })).toBe("set");
  });

  it("a ctx.run result over the limit is a journaled terminal failure of that run: the handler compensates", async () => {
    const r = rt();
    const id = await r.invoke("heavy", "runResult", undefined, { key: "k" });
    expect(r.result(id)).toMatch(/^compensated: the result of ctx.run\("produce"\) is 1048578 bytes, over the limit/);
    expect(lines(r.journal(id))[0]).toMatchObject({ type: "run", name: "produce", done: true, failure: expect.stringContaining("TerminalError(413)") });
  });

  it("a handler result, a call parameter and an awakeable payload over the limit are terminal 413s", async () => {
    const r = rt();
    for (const handler of ["result", "callWith", "promise"]) {
      const id = await r.invoke("heavy", handler, undefined, { key: handler });
      expect(r.info(id)).toMatchObject({ status: "completed", failures: 0, completion: { failure: { code: LIMIT_EXCEEDED_CODE } } });
    }
  });
});

describe("issue #10: stored failures are bounded", () => {
  it("a long message is cut with a note; large metadata is dropped", () => {
    const record = boundedError({ name: "TerminalError", message: "m".repeat(10_000), code: 500, metadata: { k: "v".repeat(10_000) } });
    expect(record.message.length).toBeLessThan(MAX_ERROR_MESSAGE_CHARS + 100);
    expect(record.message).toContain("5904 more characters cut");
    expect(record.metadata).toBeUndefined();
    const small = { name: "TerminalError", message: "short", code: 400, metadata: { a: "b" } };
    expect(boundedError(small)).toBe(small);
  });
});
