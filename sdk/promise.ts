import type { Duration } from "./duration.js";
import type { TerminalError } from "./errors.js";

/**
 * A promise produced by a context operation. Combine these with the static
 * `RestatePromise.all/race/any/allSettled` (not `Promise.all`) so the outcome is
 * journaled and replays identically.
 */
export interface RestatePromise<T> extends Promise<T> {
  /** Rejects with `TimeoutError` when the duration passes first (a durable timer). */
  orTimeout(duration: Duration | number): RestatePromise<T>;
  /** Transforms the outcome; the mapper gets either the value or the terminal failure. */
  map<U>(mapper: (value?: T, failure?: TerminalError) => U): RestatePromise<U>;
}

/** A handle on a one-way message: the id of the invocation it started. */
export interface InvocationHandle {
  readonly invocationId: Promise<string>;
}

/** A call's result, plus the callee's invocation id. */
export type InvocationPromise<T> = RestatePromise<T> & InvocationHandle;

/** What a combinator needs from the context that made its inputs. */
export interface CombinatorHost {
  combine(kind: CombinatorKind, promises: readonly RestatePromise<unknown>[]): RestatePromise<unknown>;
}
export type CombinatorKind = "all" | "race" | "any" | "allSettled";

/** Marks a promise with the context that owns it, so the statics find the journal. */
export const HOST = Symbol.for("resolute.promiseHost");

function hostOf(promises: readonly unknown[]): CombinatorHost {
  for (const p of promises) {
    const host = (p as { [HOST]?: CombinatorHost })[HOST];
    if (host) return host;
  }
  throw new TypeError("RestatePromise combinators take promises returned by a context (ctx.run, ctx.sleep, calls...)");
}

type Awaited_<T> = T extends PromiseLike<infer U> ? U : T;

/**
 * Deterministic combinators over context promises.
 * @example
 * const [a, b] = await RestatePromise.all([ctx.run("a", fa), ctx.run("b", fb)]);
 */
export const RestatePromise = {
  all<T extends readonly RestatePromise<unknown>[]>(promises: T): RestatePromise<{ -readonly [K in keyof T]: Awaited_<T[K]> }> {
    if (promises.length === 0) return Promise.resolve([]) as never;
    return hostOf(promises).combine("all", promises) as never;
  },
  race<T extends readonly RestatePromise<unknown>[]>(promises: T): RestatePromise<Awaited_<T[number]>> {
    return hostOf(promises).combine("race", promises) as never;
  },
  any<T extends readonly RestatePromise<unknown>[]>(promises: T): RestatePromise<Awaited_<T[number]>> {
    return hostOf(promises).combine("any", promises) as never;
  },
  allSettled<T extends readonly RestatePromise<unknown>[]>(
    promises: T,
  ): RestatePromise<{ -readonly [K in keyof T]: PromiseSettledResult<Awaited_<T[K]>> }> {
    if (promises.length === 0) return Promise.resolve([]) as never;
    return hostOf(promises).combine("allSettled", promises) as never;
  },
};
