/**
 * `ctx.run`: executes a closure once and journals its result before the handler
 * sees it. A retryable failure ends the attempt (the invocation is retried with
 * back-off); when the run's own retry policy is exhausted its failure is
 * journaled as a TerminalError so the handler can compensate.
 */
import type { RunOptions } from "../../sdk/context.js";
import { PauseError, TerminalError, errorFromRecord, errorToRecord, messageOf } from "../../sdk/errors.js";
import type { RestatePromise } from "../../sdk/promise.js";
import type { ContextCore } from "./context-core.js";
import { never, decodeWith, encode } from "./context-core.js";
import { backoffMs, retryAfterOf, runRetryPolicy } from "./retry.js";
import { boundedError, oversizeValue } from "./limits.js";


export function runClosure<T>(core: ContextCore, name: string, fn: () => T | Promise<T>, options?: RunOptions<T>): RestatePromise<T> {
  const step = core.advance("run", name);
  if (!step) return core.wrap(never());
  const decode = decodeWith(options?.serde);
  const recorded = step.recorded?.completion;
  if (recorded) {
    if ("failure" in recorded) return core.wrap(Promise.reject(errorFromRecord(recorded.failure)));
    return core.wrap(Promise.resolve(decode(recorded.value)));
  }
  const execute = async (): Promise<T> => {
    let value!: T;
    try {
      // Only a first execution gets here (a replay returned the recorded value above),
      // so the hooks' run interceptors never see a replay.
      await core.control.interceptRun(name, async () => {
        const result = core.runGuard.inside(name, fn);
        if (isThenable(result)) core.control.host.sideEffectStarted(core.id);
        value = await result;
      });
    } catch (error) {
      return failed(core, step.index, name, error, options);
    }
    if (core.control.closed) return never();
    const bytes = encode(options?.serde, value);
    const tooLarge = oversizeValue(`the result of ctx.run("${name}")`, bytes);
    if (tooLarge) return journalFailure(core, step.index, name, tooLarge);
    const recorded = core.recordDone(step.index, "run", name, { value: bytes });
    if (recorded === false) return never();
    // A cancel met here: the run's await throws it (the journal says so).
    if (recorded && "failure" in recorded) throw errorFromRecord(recorded.failure);
    // Hand back what a replay would see, so first runs and replays behave alike.
    return decode(bytes);
  };
  return core.wrap(execute());
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function failed(core: ContextCore, index: number, name: string, error: unknown, options?: RunOptions<unknown>): Promise<never> {
  if (core.control.closed) return never();
  if (error instanceof PauseError) {
    core.control.abort(error, { runIndex: index, pause: true });
    return never();
  }
  const terminal = core.control.asTerminalError(error);
  if (terminal) return journalFailure(core, index, name, terminal);
  const policy = runRetryPolicy(options);
  const previous = core.control.host.runFailures(core.id, index);
  const failures = previous.count + 1;
  const message = messageOf(error);
  const retryingFor = previous.firstFailureAt === undefined ? 0 : core.control.host.now() - previous.firstFailureAt;
  const outOfTime = policy?.maxDurationMs !== undefined && retryingFor >= policy.maxDurationMs;
  if (policy && (failures >= policy.maxAttempts || outOfTime)) {
    const why = outOfTime ? `after retrying for ${retryingFor} ms` : `after ${failures} attempts`;
    return journalFailure(core, index, name, new TerminalError(`ctx.run("${name}") failed ${why}: ${message}`));
  }
  const retryAfter = retryAfterOf(error);
  if (retryAfter instanceof TerminalError) return journalFailure(core, index, name, retryAfter);
  const retryAfterMs = retryAfter ?? (policy ? backoffMs(policy, failures) : undefined);
  core.control.abort(error instanceof Error ? error : new Error(message), { runIndex: index, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  return never();
}

function journalFailure(core: ContextCore, index: number, name: string, error: TerminalError): Promise<never> {
  const recorded = core.recordDone(index, "run", name, { failure: boundedError(errorToRecord(error)) });
  if (recorded === false) return never();
  // A cancel met here replaced the failure in the journal: the await throws what a replay would.
  return Promise.reject(errorFromRecord(recorded && "failure" in recorded ? recorded.failure : errorToRecord(error)));
}
