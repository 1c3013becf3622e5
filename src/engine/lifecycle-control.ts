/**
 * The answers of operator actions (cancel, kill, pause, resume, purge,
 * restart-as-new): which statuses each applies to is decided in lifecycle.ts; here
 * is what an action that does not apply says (what happened, why, what to do), with
 * the status code the admin API answers with. Pure.
 */
import { isoTime } from "./iso-time.js";
import { STATUS, type InvocationRow } from "./invocation-row.js";
import type { Entry } from "./types.js";

export interface Refusal {
  ok: false;
  /** 404: no such invocation; 409: not in a status the action applies to; 400: a bad argument. */
  code: 400 | 404 | 409;
  message: string;
}

export type ControlResult<T extends object = object> = ({ ok: true } & T) | Refusal;

export type ControlAction = "cancel" | "kill" | "pause" | "resume" | "purge" | "restart";

export function refusal(code: Refusal["code"], message: string): Refusal {
  return { ok: false, code, message };
}

const ONLY_PAUSED = "Only a paused or backing-off invocation can be resumed";

/** Why `action` does not apply to `row` (undefined: there is no invocation `id`). */
export function whyNot(id: string, row: InvocationRow | undefined, action: ControlAction, lockHolder: string | null = null): Refusal {
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
    default:
      return refusal(409, `${it} is ${row.status}: resuming it would start it a second time. ${ONLY_PAUSED}; pause it first`);
  }
}

/** The entries restart-as-new copies (the first `from`, all completed), or why it cannot. */
export function restartPrefix(journal: readonly Entry[], from: number): Entry[] | Refusal {
  if (from > journal.length) return refusal(400, `'from' is ${from}, but the journal has ${journal.length} entries`);
  const prefix = journal.slice(0, from);
  const pending = prefix.find((e) => !e.done);
  if (pending) return refusal(400, `journal entry ${pending.index} (${pending.type}) is not completed: copy fewer entries`);
  return prefix;
}
