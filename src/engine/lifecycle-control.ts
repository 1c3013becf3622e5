/**
 * Operator actions on an invocation (the admin API's cancel, kill, pause, resume,
 * purge and restart-as-new; the test runtime's methods of the same names): which
 * statuses each applies to, what it does through the lifecycle's transitions, and
 * what it answers when it does not apply (what happened, why, what to do, and the
 * status code the admin API answers with). Pure.
 */
import { CancelledError, KILLED_CODE, errorToRecord } from "../../sdk/errors.js";
import type { TargetKinds } from "./addressing.js";
import type { CompletionSource, CompletionVerdict } from "./completions.js";
import { cancellationTargets, terminalFailure } from "./completions.js";
import { invocationOwner } from "./ids.js";
import { isoTime } from "./iso-time.js";
import { STATUS, targetOf, type InvocationRow } from "./invocation-row.js";
import type { LifecycleStore } from "./lifecycle-store.js";
import type { InvokeRequest } from "./messages.js";
import type { Completion, Entry } from "./types.js";

export interface Refusal {
  ok: false;
  /** 404: no such invocation; 409: not in a status the action applies to; 400: a bad argument. */
  code: 400 | 404 | 409;
  message: string;
}

export type ControlResult<T extends object = object> = ({ ok: true } & T) | Refusal;

/** The lifecycle's transitions the actions use (lifecycle.ts provides them). */
export interface LifecycleOps {
  readonly store: LifecycleStore;
  readonly kinds: TargetKinds;
  readonly lockHolder: string | null;
  now(): number;
  finish(row: InvocationRow, completion: Completion): void;
  /** Runs an attempt of a stored invocation now (its status becomes running). */
  start(row: InvocationRow): void;
  complete(inv: string, idx: number, completion: Completion, source: CompletionSource): CompletionVerdict;
  /** Drops the attempt in memory and stores the invocation as paused. */
  park(id: string): void;
  /** The invocation's next awaited operation fails with CancelledError. */
  requestCancel(id: string): void;
  admit(req: InvokeRequest, journal: readonly Entry[]): void;
  /** The invocation was deleted: what goes with it goes too. */
  removed(id: string): void;
  deliverSoon(): void;
}

const ok = { ok: true } as const;
const cancelled = (): Completion => ({ failure: errorToRecord(new CancelledError()) });

/** Cancels (Restate semantics): pending awaits fail with CancelledError; calls in flight are cancelled downstream. */
export function cancel(ops: LifecycleOps, id: string): ControlResult {
  const row = ops.store.invocation(id);
  if (!row || row.status === STATUS.completed) return whyNot(id, row, "cancel");
  // Not started yet (behind the lock, before its time, waiting for a limit slot): it ends here.
  if (row.status === STATUS.pending || row.status === STATUS.scheduled || row.status === STATUS.ready) return ops.finish(row, cancelled()), ok;
  const { strike, callees } = cancellationTargets(ops.store.pendingEntries(id));
  for (const index of strike) ops.complete(id, index, cancelled(), { kind: "cancel" });
  for (const calleeId of callees) {
    const owner = invocationOwner(calleeId);
    if (owner) ops.store.enqueue(owner, { kind: "cancel", owner, invocationId: calleeId }, ops.now());
  }
  if (callees.length > 0) ops.deliverSoon();
  // Nothing awaited right now: the next awaited operation fails.
  if (strike.length === 0 && callees.length === 0) ops.requestCancel(id);
  // A retrying or paused invocation runs now, to meet its cancellation.
  if (row.status === STATUS.backingOff || row.status === STATUS.paused) ops.start(row);
  return ok;
}

/** Stops at once, without compensation: callers see 409 "killed". */
export function kill(ops: LifecycleOps, id: string): ControlResult {
  const row = ops.store.invocation(id);
  if (!row || row.status === STATUS.completed) return whyNot(id, row, "kill");
  ops.finish(row, terminalFailure("killed", KILLED_CODE));
  return ok;
}

/**
 * Parks a running or backing-off invocation until it is resumed. Its attempt in memory
 * is dropped: a ctx.run in flight then has no recorded result, and runs again on resume.
 */
export function pause(ops: LifecycleOps, id: string): ControlResult {
  const row = ops.store.invocation(id);
  if (row?.status === STATUS.paused) return ok;
  if (row?.status !== STATUS.running && row?.status !== STATUS.backingOff) return whyNot(id, row, "pause");
  ops.park(id);
  return ok;
}

/** Runs a paused invocation again, or a backing-off one without waiting for its back-off (as Restate's resume). */
export function resume(ops: LifecycleOps, id: string): ControlResult {
  const row = ops.store.invocation(id);
  if (row?.status !== STATUS.paused && row?.status !== STATUS.backingOff) return whyNot(id, row, "resume", ops.lockHolder);
  ops.start(row);
  return ok;
}

/** Forgets a completed invocation: its id (and idempotency key, or workflow id) may be used again. */
export function purge(ops: LifecycleOps, id: string): ControlResult {
  const row = ops.store.invocation(id);
  if (row?.status !== STATUS.completed) return whyNot(id, row, "purge");
  ops.store.deleteInvocation(row.seq, id);
  ops.removed(id);
  return ok;
}

/**
 * Runs a completed invocation again under `newId` (owned by `owner`), with the same
 * target, input and headers (not its idempotency key); its first `from` journal entries
 * are copied, so they replay their recorded results instead of running again.
 */
export function restartAsNew(ops: LifecycleOps, id: string, newId: string, owner: string, from: number): ControlResult<{ invocationId: string }> {
  const row = ops.store.invocation(id);
  if (row?.status !== STATUS.completed) return whyNot(id, row, "restart");
  if (ops.kinds.kindOf(row.service) === "workflow") return refusal(400, "a workflow cannot be restarted as new: purge it and run its id again");
  const journal = ops.store.journal(id);
  if (from > journal.length) return refusal(400, `'from' is ${from}, but the journal has ${journal.length} entries`);
  const prefix = journal.slice(0, from);
  const pending = prefix.find((e) => !e.done);
  if (pending) return refusal(400, `journal entry ${pending.index} (${pending.type}) is not completed: copy fewer entries`);
  ops.admit({ owner, invocationId: newId, target: targetOf(row), input: row.input, headers: row.headers, invokedBy: "restart-as-new" }, prefix);
  return { ok: true, invocationId: newId };
}

function refusal(code: Refusal["code"], message: string): Refusal {
  return { ok: false, code, message };
}

const ONLY_PAUSED = "Only a paused or backing-off invocation can be resumed";

/** Why `action` does not apply to `row` (undefined: there is no invocation `id`). */
function whyNot(id: string, row: InvocationRow | undefined, action: "cancel" | "kill" | "pause" | "resume" | "purge" | "restart", lockHolder: string | null = null): Refusal {
  if (!row) return refusal(404, `invocation '${id}' not found`);
  const it = `invocation '${id}'`;
  if (action === "purge" || action === "restart") {
    const done = action === "purge" ? "purged" : "restarted as new";
    return refusal(409, `${it} is ${row.status}, not completed: only a completed invocation can be ${done}. Cancel or kill it first`);
  }
  if (row.status === STATUS.completed) {
    const instead = action === "resume" ? "restart it as new to run it again" : "purge it to forget it";
    return refusal(409, `${it} is already completed: there is nothing to ${action} (${instead})`);
  }
  if (action === "pause") return refusal(409, `${it} is ${row.status}: it has not started, so there is nothing to pause (cancel it to drop it)`);
  switch (row.status) {
    case STATUS.pending: {
      const holder = lockHolder ? ` (held by '${lockHolder}')` : "";
      return refusal(409, `${it} is pending: it waits for the key's lock${holder} and starts when the invocations before it end. ${ONLY_PAUSED}`);
    }
    case STATUS.scheduled:
      return refusal(409, `${it} is scheduled to start at ${isoTime(row.nextAt) ?? "a later time"}: it has not started yet. ${ONLY_PAUSED}`);
    case STATUS.ready:
      return refusal(409, `${it} is ready: it waits for a slot of its concurrency or rate limit and starts when one frees up (see the admin API's limits). ${ONLY_PAUSED}`);
    default:
      return refusal(409, `${it} is ${row.status}: resuming it would start it a second time. ${ONLY_PAUSED}; pause it first`);
  }
}
