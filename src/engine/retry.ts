/**
 * Back-off arithmetic for invocation and `ctx.run` retries. Pure.
 */
import { MAX_DELAY_MS, delayToMs, durationToMs } from "../../sdk/duration.js";
import type { RetryPolicy } from "../../sdk/define.js";
import type { RunOptions } from "../../sdk/context.js";
import { RetryableError, TerminalError } from "../../sdk/errors.js";

/** Restate server defaults (1.7): 500 ms, x2, capped at 1 min, 70 attempts, then pause. */
export const DEFAULT_RETRY = {
  initialIntervalMs: 500,
  factor: 2,
  maxIntervalMs: 60_000,
  maxAttempts: 70,
  onMaxAttempts: "pause" as "pause" | "kill",
};

export interface ResolvedRetryPolicy {
  initialIntervalMs: number;
  factor: number;
  maxIntervalMs: number;
  maxAttempts: number;
  onMaxAttempts: "pause" | "kill";
}

export function resolveRetryPolicy(...policies: (RetryPolicy | undefined)[]): ResolvedRetryPolicy {
  const merged: RetryPolicy = Object.assign({}, ...policies.filter(Boolean).reverse());
  return {
    initialIntervalMs: merged.initialInterval !== undefined ? durationToMs(merged.initialInterval) : DEFAULT_RETRY.initialIntervalMs,
    factor: merged.exponentiationFactor ?? DEFAULT_RETRY.factor,
    maxIntervalMs: merged.maxInterval !== undefined ? durationToMs(merged.maxInterval) : DEFAULT_RETRY.maxIntervalMs,
    maxAttempts: merged.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    onMaxAttempts: merged.onMaxAttempts ?? DEFAULT_RETRY.onMaxAttempts,
  };
}

/** Delay before attempt `failedAttempts + 1`, after `failedAttempts` failures (>= 1). */
export function backoffMs(policy: Pick<ResolvedRetryPolicy, "initialIntervalMs" | "factor" | "maxIntervalMs">, failedAttempts: number): number {
  const raw = policy.initialIntervalMs * Math.pow(policy.factor, Math.max(0, failedAttempts - 1));
  // An unbounded maxInterval must not grow the wake-up time past what a date can hold.
  return Math.min(policy.maxIntervalMs, raw, MAX_DELAY_MS);
}

/**
 * A RetryableError's `retryAfter` in ms (undefined for other errors), or the
 * TerminalError to fail with when it is not a usable delay: retrying at a time
 * that cannot exist would never happen.
 */
export function retryAfterOf(error: unknown): number | undefined | TerminalError {
  if (!(error instanceof RetryableError) || error.retryAfter === undefined) return undefined;
  try {
    return delayToMs(error.retryAfter, "RetryableError retryAfter");
  } catch (bad) {
    return bad as TerminalError;
  }
}

/** A `ctx.run`'s own retry policy, when it set any option. */
export function runRetryPolicy(options: RunOptions<unknown> | undefined): (ResolvedRetryPolicy & { maxDurationMs?: number }) | undefined {
  if (!options) return undefined;
  const { maxRetryAttempts, maxRetryDuration, initialRetryInterval, maxRetryInterval, retryIntervalFactor } = options;
  if ([maxRetryAttempts, maxRetryDuration, initialRetryInterval, maxRetryInterval, retryIntervalFactor].every((v) => v === undefined)) {
    return undefined;
  }
  return {
    initialIntervalMs: initialRetryInterval !== undefined ? durationToMs(initialRetryInterval) : 50,
    factor: retryIntervalFactor ?? 2,
    maxIntervalMs: maxRetryInterval !== undefined ? durationToMs(maxRetryInterval) : 10_000,
    maxAttempts: maxRetryAttempts ?? Number.POSITIVE_INFINITY,
    onMaxAttempts: "kill",
    ...(maxRetryDuration !== undefined ? { maxDurationMs: durationToMs(maxRetryDuration) } : {}),
  };
}

/** What follows a failed attempt: another after a back-off, a pause until resumed, or the end. */
export type AfterFailure =
  | { next: "retry"; delayMs: number }
  | { next: "pause"; why: string }
  | { next: "kill"; why: string };

/**
 * The invocation retry rule: attempt `failures` (counted from 1) ended retryably. A
 * PauseError pauses at once; when the policy's attempts are used up the invocation is
 * paused or killed as `onMaxAttempts` says; otherwise it backs off (a RetryableError's
 * `retryAfter` over the policy's interval).
 */
export function afterFailure(policy: ResolvedRetryPolicy, failures: number, outcome: { pause?: boolean; retryAfterMs?: number }): AfterFailure {
  if (outcome.pause) return { next: "pause", why: `paused by PauseError in attempt ${failures}` };
  if (failures >= policy.maxAttempts) {
    const why = `gave up after ${failures} attempts`;
    return policy.onMaxAttempts === "kill" ? { next: "kill", why } : { next: "pause", why: `paused: ${why}` };
  }
  return { next: "retry", delayMs: outcome.retryAfterMs ?? backoffMs(policy, failures) };
}
