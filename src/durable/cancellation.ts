/**
 * Cancellation (Restate semantics): the target's pending awaits fail with
 * CancelledError at once, calls it waits on are cancelled downstream (their
 * CancelledError flows back as the call's result), and if it awaits nothing
 * right now, its next awaited operation fails. Compensations may then run.
 */
import { CancelledError, errorToRecord } from "../../sdk/errors.js";
import { cancellationTargets } from "../engine/completions.js";
import { invocationOwner } from "../engine/ids.js";
import type { Completion } from "../engine/types.js";
import type { Runtime } from "./runtime.js";
import { STATUS } from "../engine/invocation-row.js";

const cancelled = (): Completion => ({ failure: errorToRecord(new CancelledError()) });

export function cancelInvocation(runtime: Runtime, id: string): void {
  const row = runtime.store.invocation(id);
  if (!row || row.status === STATUS.completed) return;
  if (row.status === STATUS.pending || row.status === STATUS.scheduled) return runtime.finish(id, cancelled());
  const { strike, callees } = cancellationTargets(runtime.store.pendingEntries(id));
  for (const index of strike) runtime.complete(id, index, cancelled(), { kind: "cancel" });
  for (const calleeId of callees) {
    const owner = invocationOwner(calleeId);
    if (owner) runtime.store.enqueue(owner, { kind: "cancel", owner, invocationId: calleeId }, runtime.now());
  }
  if (callees.length > 0) runtime.deliverSoon();
  if (strike.length === 0 && callees.length === 0) runtime.requestCancel(id);
  // A retrying or paused invocation runs now, to meet its cancellation.
  if (row.status === STATUS.backingOff || row.status === STATUS.paused) runtime.start(id);
}
