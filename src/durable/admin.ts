/**
 * Inspection and control of one object's invocations, journals and state, for
 * the token-protected admin API. Read-mostly; control goes through the Runtime.
 */
import type { Runtime } from "./runtime.js";
import type { InvocationRow, Store } from "./store.js";
import { isoTime } from "../engine/iso-time.js";

export type AdminView =
  | { view: "invocations"; status?: string; limit?: number; key?: string }
  | { view: "invocation"; invocationId: string }
  | { view: "state"; scope: string }
  | { view: "cancel"; invocationId: string }
  | { view: "kill"; invocationId: string }
  | { view: "resume"; invocationId: string }
  | { view: "purge"; invocationId: string }
  | { view: "restartAsNew"; invocationId: string; newInvocationId: string; owner: string; from: number }
  | { view: "replaceState"; scope: string; state: Record<string, Uint8Array>; workflowRunId?: string }
  | { view: "query"; query: string; service: string; key: string };

const decoder = new TextDecoder();

export class ObjectAdmin {
  constructor(
    private readonly store: Store,
    private readonly runtime: Runtime,
    /** After a purge: what retention's end does too (a workflow's state and promises go). */
    private readonly onRemoved: (id: string) => void,
  ) {}

  handle(request: AdminView): unknown {
    switch (request.view) {
      case "invocations":
        return this.#list(request.status, request.limit ?? 100, request.key);
      case "invocation":
        return this.#describe(request.invocationId);
      case "state":
        return this.store.allState(request.scope).map(({ key, value }) => ({ key, value_utf8: decoder.decode(value), value_length: value.length }));
      case "cancel":
        return this.#control(request.invocationId, () => this.runtime.cancel(request.invocationId));
      case "kill":
        return this.#control(request.invocationId, () => this.runtime.kill(request.invocationId));
      case "resume":
        return this.#control(request.invocationId, () => this.runtime.start(request.invocationId));
      case "purge":
        return this.#purge(request.invocationId);
      case "restartAsNew":
        return this.#restartAsNew(request);
      case "replaceState":
        return this.#replaceState(request.scope, request.state, request.workflowRunId);
      case "query":
        return this.store.readOnlyQuery(request.query, request.service, request.key);
    }
  }

  #list(status: string | undefined, limit: number, key: string | undefined): unknown[] {
    const statuses = status ? [status] : ["pending", "scheduled", "running", "backing-off", "paused", "completed"];
    const rows = statuses.flatMap((s) => this.store.invocationsWithStatus(s as never, limit, key));
    return rows.map((row) => this.#summary(row));
  }

  #describe(id: string): unknown {
    const row = this.store.invocation(id);
    if (!row) return undefined;
    const journal = this.store.journal(id).map((e) => ({
      index: e.index,
      entry_type: e.type,
      name: e.name,
      completed: e.done,
      ...(e.completion && "value" in e.completion ? { value_utf8: decoder.decode(e.completion.value ?? new Uint8Array(0)) } : {}),
      ...(e.completion && "failure" in e.completion ? { failure: e.completion.failure } : {}),
    }));
    return { ...this.#summary(row), journal };
  }

  /** Restate's status names; a running invocation that only waits on completions is "suspended". */
  #summary(row: InvocationRow): Record<string, unknown> {
    const suspended = row.status === "running" && this.runtime.isWaiting(row.id);
    return { ...summary(row), status: suspended ? "suspended" : row.status };
  }

  /** Only a completed invocation can be purged: its id (and idempotency key) may then be used again. */
  #purge(id: string): { ok: boolean; reason?: "unknown" | "not completed" } {
    const row = this.store.invocation(id);
    if (!row) return { ok: false, reason: "unknown" };
    if (row.status !== "completed") return { ok: false, reason: "not completed" };
    this.store.deleteInvocation(row.seq, id);
    this.onRemoved(id);
    return { ok: true };
  }

  /**
   * Runs a completed invocation again under a new id, with the same target, input and
   * headers (not its idempotency key); the first `from` journal entries are copied, so
   * they replay their recorded results instead of running again.
   */
  #restartAsNew(request: Extract<AdminView, { view: "restartAsNew" }>): { ok: true; newInvocationId: string } | { ok: false; status: number; message: string } {
    const { invocationId: id, from } = request;
    const row = this.store.invocation(id);
    if (!row) return { ok: false, status: 404, message: `invocation '${id}' not found` };
    if (row.status !== "completed") return { ok: false, status: 409, message: `invocation '${id}' is not completed: only a completed invocation can be restarted` };
    if (this.runtime.kinds.kindOf(row.service) === "workflow") return { ok: false, status: 400, message: "a workflow cannot be restarted as new: purge it and run its id again" };
    const journal = this.store.journal(id);
    if (from > journal.length) return { ok: false, status: 400, message: `'from' is ${from}, but the journal has ${journal.length} entries` };
    const prefix = journal.slice(0, from);
    const pending = prefix.find((e) => !e.done);
    if (pending) return { ok: false, status: 400, message: `journal entry ${pending.index} (${pending.type}) is not completed: copy fewer entries` };
    const target = { service: row.service, handler: row.handler, ...(row.key !== null ? { key: row.key } : {}) };
    this.runtime.admit({ owner: request.owner, invocationId: request.newInvocationId, target, input: row.input, headers: row.headers, invokedBy: "restart-as-new" }, undefined, prefix);
    return { ok: true, newInvocationId: request.newInvocationId };
  }

  /**
   * Replaces all of an object's (or a workflow id's) state, only while no handler can
   * write it: no exclusive invocation holds the key's lock, or the workflow's run is done.
   * Otherwise the edit would interleave with a journal that assumed the old values.
   */
  #replaceState(scope: string, state: Record<string, Uint8Array>, workflowRunId?: string): { ok: true } | { ok: false; busy: string } {
    const run = workflowRunId === undefined ? undefined : this.store.invocation(workflowRunId);
    const busy = workflowRunId === undefined ? this.runtime.lockHolder : run && run.status !== "completed" ? run.id : null;
    if (busy) return { ok: false, busy };
    this.store.transaction(() => {
      this.store.clearAllState(scope);
      for (const [key, value] of Object.entries(state)) this.store.setState(scope, key, value);
    });
    return { ok: true };
  }

  #control(id: string, action: () => void): { ok: boolean } {
    const row = this.store.invocation(id);
    if (!row || row.status === "completed") return { ok: false };
    action();
    return { ok: true };
  }
}

function summary(row: InvocationRow): Record<string, unknown> {
  return {
    id: row.id,
    target: row.key === null ? `${row.service}/${row.handler}` : `${row.service}/${row.key}/${row.handler}`,
    target_service_name: row.service,
    target_service_key: row.key,
    target_handler_name: row.handler,
    status: row.status,
    invoked_by: row.invokedBy,
    idempotency_key: row.idempotencyKey,
    retry_count: row.attempts,
    last_failure: row.lastFailure?.message ?? null,
    // A stored time that is no date (an old build's overflowing delay) shows as null
    // rather than failing the whole listing.
    next_retry_at: isoTime(row.nextAt) ?? null,
    created_at: isoTime(row.createdAt) ?? null,
    modified_at: isoTime(row.modifiedAt) ?? null,
    completed_at: isoTime(row.completedAt) ?? null,
    completion_result: row.completion ? ("failure" in row.completion ? "failure" : "success") : null,
    completion_failure: row.completion && "failure" in row.completion ? row.completion.failure.message : null,
  };
}
