import { TerminalError } from "./errors.js";

/**
 * A span of time. Wherever the SDK takes `Duration | number`, a number means
 * milliseconds (as in Restate's SDK).
 * @example
 * await ctx.sleep({ hours: 1, minutes: 30 });
 */
export interface Duration {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

/** Converts a `Duration | number` (milliseconds) to milliseconds. */
export function durationToMs(duration: Duration | number): number {
  if (typeof duration === "number") return duration;
  return (
    (duration.days ?? 0) * 86_400_000 +
    (duration.hours ?? 0) * 3_600_000 +
    (duration.minutes ?? 0) * 60_000 +
    (duration.seconds ?? 0) * 1_000 +
    (duration.milliseconds ?? 0)
  );
}

/**
 * The longest delay Resolute accepts: 100 years (of 365 days), in ms. It bounds
 * `ctx.sleep`, `orTimeout`, `rpc.sendOpts({ delay })`, `RetryableError`'s
 * `retryAfter` and the ingress's `?delay=`, so that every stored wake-up time is a
 * real date (a longer one would overflow JavaScript's dates and could never fire).
 * @example
 * const ms = Math.min(requestedMs, MAX_DELAY_MS);
 */
export const MAX_DELAY_MS = 100 * 365 * 86_400_000;

/** Why `ms` cannot be a delay (not a number, or longer than MAX_DELAY_MS); undefined when it can. */
export function delayProblem(ms: number): string | undefined {
  if (Number.isNaN(ms)) return "it is not a number";
  if (ms > MAX_DELAY_MS) return `it is longer than the maximum of ${MAX_DELAY_MS} ms (100 years)`;
  return undefined;
}

/**
 * A delay given to the SDK, in ms (negative counts as 0). A delay that cannot be
 * one is the handler's bug, never worth a retry: a TerminalError (400) naming the limit.
 */
export function delayToMs(duration: Duration | number, what: string): number {
  const ms = durationToMs(duration);
  const problem = delayProblem(ms);
  if (problem) throw new TerminalError(`${what}: the delay ${shown(duration)} cannot be used: ${problem}`, { errorCode: 400 });
  return Math.max(0, ms);
}

/** A duration as the user wrote it (NaN and Infinity included, which JSON would show as null). */
function shown(duration: Duration | number): string {
  if (typeof duration === "number") return String(duration);
  return JSON.stringify(duration, (_name, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value));
}

/** Each unit's spellings (humantime's, which Restate's ingress parses its `delay` with) and its length. */
const UNITS: readonly [RegExp, number][] = [
  [/^(?:ms|msecs?|millis|milliseconds?)$/, 1],
  [/^(?:s|secs?|seconds?)$/, 1_000],
  [/^(?:m|mins?|minutes?)$/, 60_000],
  [/^(?:h|hrs?|hours?)$/, 3_600_000],
  [/^(?:d|days?)$/, 86_400_000],
  [/^(?:w|weeks?)$/, 604_800_000],
];
const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;

/**
 * Parses Restate's ingress delay strings: `500ms`, `10s`, `5m`, `2h`, `1d`, a sum such as
 * `1h30m`, and humantime's longer spellings Restate also takes (`60sec`, `60 sec`, `2 hours
 * 5 min`). Returns undefined when the text is not a duration.
 */
export function parseDurationText(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  for (let part = PART.exec(trimmed); part; part = PART.exec(trimmed)) {
    const unit = UNITS.find(([spelling]) => spelling.test(part![2]!));
    if (!unit) return undefined;
    total += Number(part[1]) * unit[1];
    at = PART.lastIndex;
  }
  return at === trimmed.length ? Math.round(total) : undefined;
}
