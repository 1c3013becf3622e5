import type { Duration } from "./duration.js";
import { TerminalError } from "./errors.js";

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
/** Marks a promise made without a context (`RestatePromise.resolve/reject`, empty combinators). */
const SETTLED = Symbol.for("resolute.settledPromise");

type Marked = { [HOST]?: CombinatorHost; [SETTLED]?: true };

/**
 * True for a promise made by a context (`ctx.run`, `ctx.sleep`, calls...) or by
 * the `RestatePromise` statics; false for plain promises and other values.
 * @example
 * isRestatePromise(ctx.sleep(10)); // true
 * isRestatePromise(Promise.resolve(1)); // false
 */
export function isRestatePromise(x: unknown): boolean {
  if (!(x instanceof Promise)) return false;
  const marked = x as Marked;
  return marked[HOST] !== undefined || marked[SETTLED] === true;
}

function combinatorHostOf(promises: readonly unknown[]): CombinatorHost | undefined {
  for (const p of promises) {
    const host = (p as Marked)[HOST];
    if (host) return host;
  }
  return undefined;
}

function isSettledPromise(p: unknown): boolean {
  return p instanceof Promise && (p as Marked)[SETTLED] === true;
}

/**
 * A RestatePromise without a context: its outcome does not depend on anything
 * outside the handler, so it needs no journal entry. It settles before any
 * timer could fire, so `orTimeout` returns the same outcome and never a `TimeoutError`.
 */
function settled<T>(promise: Promise<T>): RestatePromise<T> {
  const p = promise as RestatePromise<T> & Marked;
  p[SETTLED] = true;
  p.orTimeout = () => p;
  p.map = <U>(mapper: (value?: T, failure?: TerminalError) => U) => settled(p.then((v) => mapper(v, undefined), failureTo(mapper)));
  // Like the context's promises: a rejection nobody awaits is not an unhandled error.
  promise.catch(() => {});
  return p;
}

/** The rejection handler of `map`: terminal failures go to the mapper, others propagate. */
export function failureTo<U>(mapper: (value?: never, failure?: TerminalError) => U): (error: unknown) => U {
  return (error) => {
    if (error instanceof TerminalError) return mapper(undefined, error);
    throw error;
  };
}

/**
 * Combines promises when none was made by a context: they are all settled
 * promises from the statics, so the outcome is deterministic without a journal.
 */
function combineSettled(kind: CombinatorKind, promises: readonly Promise<unknown>[]): RestatePromise<unknown> {
  if (!promises.every(isSettledPromise)) {
    throw new TypeError("RestatePromise combinators take promises returned by a context (ctx.run, ctx.sleep, calls...) or by RestatePromise.resolve/reject");
  }
  switch (kind) {
    case "all":
      return settled(Promise.all(promises));
    case "allSettled":
      return settled(Promise.allSettled(promises));
    case "race":
      if (promises.length === 0) throw new TypeError("RestatePromise.race needs at least one promise: an empty race never settles");
      return settled(Promise.race(promises));
    case "any":
      return settled(Promise.any(promises).catch(() => Promise.reject(new TerminalError("All promises passed to any() were rejected"))));
  }
}

function combine(kind: CombinatorKind, promises: readonly RestatePromise<unknown>[]): RestatePromise<unknown> {
  const host = combinatorHostOf(promises);
  return host ? host.combine(kind, promises) : combineSettled(kind, promises);
}

type Awaited_<T> = T extends PromiseLike<infer U> ? U : T;

/**
 * Deterministic combinators over context promises, and already-settled
 * promises to mix with them. Inputs made by `resolve`/`reject` only (or an
 * empty list) need no context: the result is computed without a journal entry.
 * @example
 * const [a, b] = await RestatePromise.all([ctx.run("a", fa), ctx.run("b", fb)]);
 */
export const RestatePromise = {
  /**
   * A RestatePromise already fulfilled with `value` (a RestatePromise is
   * returned as is). It needs no context: `map` works, and `orTimeout` never
   * times out because the promise is settled before any timer could fire.
   * Do not pass a plain (non-Restate) promise: its outcome would not be journaled.
   * @example
   * const cached = hit ? RestatePromise.resolve(hit) : ctx.run("fetch", fetchIt);
   * const value = await cached.orTimeout({ seconds: 5 });
   */
  resolve<T>(value: T): RestatePromise<Awaited<T>> {
    if (isRestatePromise(value)) return value as RestatePromise<Awaited<T>>;
    return settled(Promise.resolve(value));
  },
  /**
   * A RestatePromise already rejected with `error`. It needs no context; like
   * `resolve`, its `orTimeout` rejects with `error`, never with a `TimeoutError`.
   * @example
   * const checked = amount > 0 ? ctx.run("charge", charge) : RestatePromise.reject(new TerminalError("bad amount", { errorCode: 400 }));
   */
  reject<T = never>(error: TerminalError): RestatePromise<T> {
    return settled(Promise.reject(error));
  },
  all<const T extends readonly RestatePromise<unknown>[]>(promises: T): RestatePromise<{ -readonly [K in keyof T]: Awaited_<T[K]> }> {
    return combine("all", promises) as never;
  },
  race<const T extends readonly RestatePromise<unknown>[]>(promises: T): RestatePromise<Awaited_<T[number]>> {
    return combine("race", promises) as never;
  },
  any<const T extends readonly RestatePromise<unknown>[]>(promises: T): RestatePromise<Awaited_<T[number]>> {
    return combine("any", promises) as never;
  },
  allSettled<const T extends readonly RestatePromise<unknown>[]>(
    promises: T,
  ): RestatePromise<{ -readonly [K in keyof T]: PromiseSettledResult<Awaited_<T[K]>> }> {
    return combine("allSettled", promises) as never;
  },
};
