/**
 * Rendering stored times. Pure. A time read back from storage may not be a date at
 * all (written by an older build, or corrupt): rendering it must not throw, or one
 * bad row would fail every listing that shows it.
 */

/** ms since the epoch as ISO 8601; undefined when it is no time a Date can hold. */
export function isoTime(ms: unknown): string | undefined {
  if (typeof ms !== "number") return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
