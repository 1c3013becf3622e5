/**
 * Inspection and control of one object's invocations, journals and state, for
 * the token-protected admin API. Reads go to the store; every action on an
 * invocation is the lifecycle's (its rules and refusals: engine/lifecycle-control.ts).
 */
import { LIMIT_KEY_HEADER } from "../../sdk/flow-control.js";
import type { Lifecycle } from "../engine/lifecycle.js";
import type { ControlResult } from "../engine/lifecycle-control.js";
import { STATUS, type InvocationRow, type InvocationStatus } from "../engine/invocation-row.js";
import type { Store } from "./store.js";
import { isoTime } from "../engine/iso-time.js";

/** What the admin API asks of one object: a read (`invocations`, `invocation`, `state`, `query`) or an action. */
export type AdminRequest =
  | { op: "invocations"; status?: string; handler?: string; limit?: number; key?: string }
  | { op: "invocation"; invocationId: string }
  | { op: "state"; scope: string }
  | { op: "cancel" | "kill" | "pause" | "resume" | "purge"; invocationId: string }
  | { op: "restartAsNew"; invocationId: string; newInvocationId: string; owner: string; from: number }
  | { op: "replaceState"; scope: string; state: Record<string, Uint8Array>; workflowRunId?: string }
  | { op: "query"; query: string; service: string; key: string; raw?: boolean };

/** The answer to an action: the lifecycle's (restart-as-new adds the new id). */
export type AdminActionResult = ControlResult<{ invocationId?: string }>;

const decoder = new TextDecoder();
const STATUSES: readonly InvocationStatus[] = Object.values(STATUS);
/**
 * Most invocations one object's listing answers with (the admin route's `?limit=` bound): each
 * status is read up to this many rows before the listing filters and cuts, so any limit up to
 * it is filled when there are that many rows.
 */
export const MAX_LISTED = 1000;

export class ObjectAdmin {
  constructor(
    private readonly store: Store,
    private readonly lifecycle: Lifecycle,
  ) {}

  handle(request: AdminRequest): unknown {
    switch (request.op) {
      case "invocations":
        return this.#list(request, request.limit ?? 100);
      case "invocation":
        return this.#describe(request.invocationId);
      case "state":
        return this.store.allState(request.scope).map(({ key, value }) => ({ key, value_utf8: decoder.decode(value), value_length: value.length }));
      case "cancel":
      case "kill":
      case "pause":
      case "resume":
      case "purge":
        return this.lifecycle[request.op](request.invocationId);
      case "restartAsNew":
        return this.lifecycle.restartAsNew(request.invocationId, request.newInvocationId, request.owner, request.from);
      case "replaceState":
        return this.#replaceState(request.scope, request.state, request.workflowRunId);
      case "query":
        return request.raw ? this.store.readOnlyRawQuery(request.query, request.service, request.key) : this.store.readOnlyQuery(request.query, request.service, request.key);
    }
  }

  /**
   * The newest `limit` invocations (with the status and handler asked for), newest first as the
   * deployment's listing orders them. The store reads each status oldest first, so up to
   * MAX_LISTED of each are read, then filtered by handler, ordered and cut.
   */
  #list({ status, handler, key }: Extract<AdminRequest, { op: "invocations" }>, limit: number): unknown[] {
    const statuses = status ? STATUSES.filter((s) => s === status) : STATUSES;
    const rows = statuses.flatMap((s) => this.store.invocationsWithStatus(s, MAX_LISTED, key)).filter((row) => handler === undefined || row.handler === handler);
    rows.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rows.slice(0, limit).map((row) => this.#summary(row));
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
    const suspended = row.status === STATUS.running && this.lifecycle.isWaiting(row.id);
    return { ...summary(row), status: suspended ? "suspended" : row.status };
  }

  /**
   * Replaces all of an object's (or a workflow id's) state, only while no handler can
   * write it: no exclusive invocation holds the key's lock, or the workflow's run is done.
   * Otherwise the edit would interleave with a journal that assumed the old values.
   */
  #replaceState(scope: string, state: Record<string, Uint8Array>, workflowRunId?: string): { ok: true } | { ok: false; busy: string } {
    const run = workflowRunId === undefined ? undefined : this.store.invocation(workflowRunId);
    const busy = workflowRunId === undefined ? this.lifecycle.lockHolder : run && run.status !== STATUS.completed ? run.id : null;
    if (busy) return { ok: false, busy };
    this.store.transaction(() => {
      this.store.clearAllState(scope);
      for (const [key, value] of Object.entries(state)) this.store.setState(scope, key, value);
    });
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
    // The key its limits count it under (issue 15): it travels in the headers, as at ingress.
    limit_key: row.headers[LIMIT_KEY_HEADER] ?? null,
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
