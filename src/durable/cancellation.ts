/**
 * Cancellation (Restate semantics): the target's pending awaits fail with
 * CancelledError at once, calls it waits on are cancelled downstream (their
 * CancelledError flows back as the call's result), and if it awaits nothing
 * right now, its next awaited operation fails. Compensations may then run.
 */
import { CancelledError, errorToRecord } from "../../sdk/errors.js";
import { invocationOwner } from "../engine/ids.js";
import type { Completion } from "../engine/types.js";
import type { Runtime } from "./runtime.js";
import { STATUS } from "./schema.js";

const cancelled = (): Completion => ({ failure: errorToRecord(new CancelledError()) });

export function cancelInvocation(runtime: Runtime, id: string): void {
  const row = runtime.store.invocation(id);
  if (!row || row.status === STATUS.completed) return;
  if (row.status === STATUS.pending || row.status === STATUS.scheduled) return runtime.finish(id, cancelled());
  let struck = false;
  for (const entry of runtime.store.pendingEntries(id)) {
    struck = true;
    if (entry.type !== "call") {
      runtime.complete(id, entry.index, cancelled());
      continue;
    }
    const calleeId = JSON.parse(entry.data ?? "{}").calleeId as string | undefined;
    const owner = calleeId ? invocationOwner(calleeId) : undefined;
    if (owner) runtime.store.enqueue(owner, { kind: "cancel", owner, invocationId: calleeId! }, runtime.now());
    runtime.deliverSoon();
  }
  if (!struck) runtime.requestCancel(id);
  // A retrying or paused invocation runs now, to meet its cancellation.
  if (row.status === STATUS.backingOff || row.status === STATUS.paused) runtime.start(id);
}
