/**
 * Issue #12: Restate's client argument shapes become Resolute's (input, options):
 * `(input)`, `(opts)` alone for a handler without input, `(input, opts)`.
 */
import { describe, expect, it } from "vitest";
import { callArguments, Opts, rpc, SendOpts } from "../../src/restate/rpc.js";

describe("issue #12: Restate's client arguments", () => {
  it("reads the input, options alone, or both", () => {
    expect(callArguments([])).toEqual({ input: undefined, options: undefined });
    expect(callArguments([{ n: 1 }])).toEqual({ input: { n: 1 }, options: undefined });
    expect(callArguments([rpc.opts({ idempotencyKey: "k" })])).toEqual({ input: undefined, options: { idempotencyKey: "k" } });
    expect(callArguments([2, Opts.from({ headers: { a: "b" } })])).toEqual({ input: 2, options: { headers: { a: "b" } } });
    expect(callArguments([2, SendOpts.from({ delay: 10 })])).toEqual({ input: 2, options: { delay: 10 } });
  });

  it("refuses options that are not Opts or SendOpts, and extra arguments, as Restate's clients do", () => {
    expect(() => callArguments([1, { idempotencyKey: "k" }])).toThrow("The second argument of a client method must be rpc.opts(...) or rpc.sendOpts(...)");
    expect(() => callArguments([1, rpc.opts({}), 3])).toThrow("A client method takes an input and options, got 3 arguments");
  });
});
