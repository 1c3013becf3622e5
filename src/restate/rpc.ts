/**
 * Restate's call options (`Opts`, `SendOpts`, `rpc.opts`, `rpc.sendOpts`) and
 * the client types built from a definition's handlers. Restate's clients take
 * the options as an `Opts`/`SendOpts` instance, after the input or alone when
 * the handler takes none; `callArguments` turns that into the `(input, options)`
 * pair Resolute's clients take.
 */
import type { CallOptions, SendOptions } from "../../sdk/context.js";
import type { Duration } from "../../sdk/duration.js";
import type { Serde } from "../../sdk/serde.js";
import type { InvocationHandle, InvocationPromise } from "./context.js";

export type ClientCallOptions<I, O> = {
  input?: Serde<I>;
  output?: Serde<O>;
  idempotencyKey?: string;
  /** Counts the call against the target's limits under this key (Restate's experimental `limitKey`). */
  limitKey?: string;
  headers?: Record<string, string>;
  /** The label of the call in the journal. */
  name?: string;
};

export type ClientSendOptions<I> = {
  delay?: Duration | number;
  input?: Serde<I>;
  idempotencyKey?: string;
  /** See ClientCallOptions.limitKey. */
  limitKey?: string;
  headers?: Record<string, string>;
  name?: string;
};

/**
 * Options of a request-response call.
 * @example
 * await ctx.objectClient(counter, "a").add(1, restate.Opts.from({ idempotencyKey: "k1" }));
 */
export class Opts<I, O> {
  static from<I, O>(opts: ClientCallOptions<I, O>): Opts<I, O> {
    return new Opts(opts);
  }
  private constructor(private readonly opts: ClientCallOptions<I, O>) {}
  getOpts(): ClientCallOptions<I, O> {
    return this.opts;
  }
}

/**
 * Options of a one-way message.
 * @example
 * ctx.serviceSendClient(mailer).remind(user, restate.SendOpts.from({ delay: { days: 1 } }));
 */
export class SendOpts<I> {
  static from<I>(opts: ClientSendOptions<I>): SendOpts<I> {
    return new SendOpts(opts);
  }
  private constructor(private readonly opts: ClientSendOptions<I>) {}
  getOpts(): ClientSendOptions<I> {
    return this.opts;
  }
}

/** `rpc.opts({...})` and `rpc.sendOpts({...})`: the same as `Opts.from` and `SendOpts.from`. */
export const rpc = {
  opts: <I, O>(opts: ClientCallOptions<I, O>): Opts<I, O> => Opts.from(opts),
  sendOpts: <I>(opts: ClientSendOptions<I>): SendOpts<I> => SendOpts.from(opts),
};

export type InferArg<P> = P extends [infer A, ...any[]] ? A : unknown;

/** Request-response client of a handler map: `(input?, opts?) => InvocationPromise<output>`. */
export type Client<M> = {
  [K in keyof M as M[K] extends never ? never : K]: M[K] extends (arg: any, ...args: infer P) => PromiseLike<infer O>
    ? (...args: [...P, ...[opts?: Opts<InferArg<P>, O>]]) => InvocationPromise<O>
    : never;
};

/** One-way client of a handler map: `(input?, opts?) => InvocationHandle`. */
export type SendClient<M> = {
  [K in keyof M as M[K] extends never ? never : K]: M[K] extends (arg: any, ...args: infer P) => void
    ? (...args: [...P, ...[opts?: SendOpts<InferArg<P>>]]) => InvocationHandle
    : never;
};

/**
 * The input and options of a client method call, from Restate's argument
 * shapes: `(input)`, `(opts)` for a handler without input, or `(input, opts)`.
 */
export function callArguments(args: readonly unknown[]): { input: unknown; options: (CallOptions & SendOptions) | undefined } {
  if (args.length > 2) throw new TypeError(`A client method takes an input and options, got ${args.length} arguments`);
  const [first, second] = args;
  if (args.length === 1 && isOpts(first)) return { input: undefined, options: first.getOpts() };
  if (args.length === 2 && !isOpts(second) && second !== undefined) {
    throw new TypeError("The second argument of a client method must be rpc.opts(...) or rpc.sendOpts(...) (Opts or SendOpts)");
  }
  return { input: first, options: isOpts(second) ? second.getOpts() : undefined };
}

function isOpts(value: unknown): value is Opts<unknown, unknown> | SendOpts<unknown> {
  return value instanceof Opts || value instanceof SendOpts;
}
