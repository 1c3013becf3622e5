/**
 * What follows an attempt that failed with a retryable error, by its handler's retry
 * policy (retry.ts): killed (the policy is spent: the caller gets a TerminalError saying
 * why), paused (the policy says so: it waits for an operator, its limit slot given back),
 * or backing off until the next attempt (the run's failure counted for `ctx.run` policies).
 */
import type { AttemptOutcome } from "./attempt.js";
import { STATUS, type InvocationRow } from "./invocation-row.js";
import type { LifecycleDriver } from "./lifecycle-driver.js";
import { pausedSlot, type SlotHost } from "./limit-slots.js";
import type { HandlerSpec } from "./registry.js";
import { afterFailure } from "./retry.js";
import type { Completion } from "./types.js";

type Retryable = Extract<AttemptOutcome, { kind: "retry" }>;

/** The lifecycle's store and driver, as its limit steps have them (a pause gives the slot back). */
export type FailureHost = SlotHost & { driver: LifecycleDriver };

/** Records what follows the failed attempt; the completion to finish with when it is killed. */
export function afterFailedAttempt(host: FailureHost, row: InvocationRow, spec: HandlerSpec, outcome: Retryable): Completion | undefined {
  const { store, driver } = host;
  const { id } = row;
  const failures = row.attempts + 1;
  const next = afterFailure(spec.retry, failures, outcome);
  const { message } = outcome.error;
  if (next.next === "kill") return { failure: { ...outcome.error, name: "TerminalError", message: `${message} (${next.why})` } };
  const now = driver.now();
  if (next.next === "pause") {
    driver.log("warn", id, [`${next.why}: ${message}`]);
    store.recordRetry(id, STATUS.paused, outcome.error, null, now);
    pausedSlot(host, id);
  } else {
    driver.log("warn", id, [`attempt ${failures} failed, will retry in ${next.delayMs} ms: ${message}`]);
    store.transaction(() => {
      if (outcome.runIndex !== undefined) store.addRunFailure(id, outcome.runIndex, now);
      store.recordRetry(id, STATUS.backingOff, outcome.error, now + next.delayMs, now);
    });
    driver.wakeBy(now + next.delayMs);
  }
  driver.rowChanged?.(id, false);
  return undefined;
}
