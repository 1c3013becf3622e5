/**
 * Concurrency and rate limits of a service or handler (`concurrency`, `rate`),
 * their checks at definition time, and the limit key callers attach
 * (`rpc.opts({ limitKey })`, the `x-restate-limit-key` header). Pure; the
 * limiter that enforces them is src/engine/limiter.ts.
 */
import { durationToMs, parseDurationText, type Duration } from "./duration.js";

/**
 * At most `limit` invocations running at once across the whole deployment (per
 * limit key, when callers give one). Over the limit, invocations wait in a durable
 * FIFO queue (status `ready`) and start as slots free up; they never fail for it.
 * @example
 * service({ name: "provider", options: { concurrency: { limit: 10 } }, handlers: { ... } })
 */
export interface ConcurrencyLimit {
  limit: number;
}

/**
 * At most `limit` invocations started in any window of `per` (per limit key, when
 * callers give one); the others wait, in order, for the window to move on.
 * @example
 * rate: { limit: 100, per: "1s" } // also { seconds: 1 } or 1000 (ms)
 */
export interface RateLimit {
  limit: number;
  /** The window: a duration, ms, or text such as `"1s"`, `"500ms"`, `"1m"`. */
  per: Duration | number | string;
}

/** The limit options a service or handler may declare. */
export interface FlowControlOptions {
  concurrency?: ConcurrencyLimit;
  rate?: RateLimit;
}

/** Limits as the runtime uses them: a window in ms, absent dimensions unlimited. */
export interface Limits {
  concurrency?: number;
  rate?: { limit: number; perMs: number };
}

/**
 * The request header that carries an invocation's limit key, as in Restate. A call
 * between handlers with `limitKey` carries it too, so the key travels with the
 * invocation's headers (and `ctx.request().limitKey` reads it back).
 */
export const LIMIT_KEY_HEADER = "x-restate-limit-key";

/** Longest limit key, in UTF-8 bytes: it names a limiter object, as an object key names its object. */
export const MAX_LIMIT_KEY_BYTES = 1024;

/** Most invocations one limit may let run at once, or start per window. */
export const MAX_LIMIT = 1_000_000;

/** Longest rate window: one day. */
export const MAX_RATE_WINDOW_MS = 86_400_000;

/**
 * The limits in `options`, checked; undefined when it declares none. `where` names
 * the service or handler in the TypeError thrown for a bad value.
 */
export function declaredLimits(options: FlowControlOptions, where: string): Limits | undefined {
  const { concurrency, rate } = options;
  if (concurrency === undefined && rate === undefined) return undefined;
  const limits: Limits = {};
  if (concurrency !== undefined) limits.concurrency = checkedLimit(concurrency?.limit, `${where}: concurrency.limit`);
  if (rate !== undefined) limits.rate = { limit: checkedLimit(rate?.limit, `${where}: rate.limit`), perMs: rateWindowMs(rate?.per, `${where}: rate.per`) };
  return limits;
}

function checkedLimit(value: unknown, what: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_LIMIT) return value;
  throw new TypeError(`${what} must be a whole number from 1 to ${MAX_LIMIT}, got ${String(value)}`);
}

/** A rate window in ms: from 1 ms to MAX_RATE_WINDOW_MS. */
export function rateWindowMs(per: unknown, what: string): number {
  const ms = typeof per === "string" ? parseDurationText(per) : typeof per === "number" || (typeof per === "object" && per !== null) ? durationToMs(per as Duration | number) : undefined;
  if (ms !== undefined && Number.isFinite(ms) && ms >= 1 && ms <= MAX_RATE_WINDOW_MS) return Math.round(ms);
  throw new TypeError(`${what} must be a window from 1 ms to 1 day, such as "1s", { seconds: 1 } or 1000 (ms); got ${JSON.stringify(per)}`);
}

/** UTF-8 length of a limit key. */
function keyBytes(key: string): number {
  return new TextEncoder().encode(key).byteLength;
}

/** Why `key` cannot be a limit key (too long); undefined when it can. */
export function limitKeyProblem(key: string): string | undefined {
  const bytes = keyBytes(key);
  return bytes > MAX_LIMIT_KEY_BYTES ? `the limit key has ${bytes} bytes, more than the limit of ${MAX_LIMIT_KEY_BYTES}` : undefined;
}

/** The headers of a call with `limitKey` added (an empty key counts as none). */
export function withLimitKey(headers: Record<string, string> | undefined, limitKey: string | undefined): Record<string, string> {
  if (!limitKey) return headers ?? {};
  return { ...headers, [LIMIT_KEY_HEADER]: limitKey };
}
