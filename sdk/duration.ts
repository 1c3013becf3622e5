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

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses Restate's ingress delay strings: `500ms`, `10s`, `5m`, `2h`, `1d`, or a
 * sum such as `1h30m`. Returns undefined when the text is not a duration.
 */
export function parseDurationText(text: string): number | undefined {
  const parts = text.trim().match(/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/);
  if (!parts) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (UNIT_MS[unit!] ?? 0);
  }
  return Math.round(total);
}
