/**
 * The `sys_invocation` row: Restate's introspection columns computed from an
 * object's `invocations` table. One definition serves both the per-object SQL
 * view (sql-views.ts) and the rows an owner sends to the deployment-wide
 * invocation index (indexer.ts → index-shard.ts), so the two can never disagree.
 * Pure text and types; no storage access.
 */

/** ms since the epoch → ISO 8601 with milliseconds, as Restate's timestamps read. */
export const isoOf = (column: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`;
/** The message of a stored ErrorRecord (JSON text). */
export const messageOf = (column: string) => `json_extract(${column}, '$.message')`;

/**
 * An invocation id is `inv_1` + base64url(owner) + `.` + suffix, and owners start with
 * `o:`, `s:` or `w:`: the sixth character of the id is base64's first digit of that letter
 * ('b' for o, 'c' for s, 'd' for w). So the service's kind reads off the id with no lookup,
 * once a stateless service's invocation is told by its key (none): one called from a handler
 * lives in its caller's object or workflow (addressing.ts's callAddress), and its id names that.
 */
const SERVICE_TY = "CASE WHEN key IS NULL THEN 'service' WHEN substr(id, 6, 1) = 'd' THEN 'workflow' ELSE 'virtual_object' END";
/** `invoked_by` holds "ingress", "restart-as-new" or the caller's invocation id. */
const BY_HANDLER = "invoked_by LIKE 'inv\\_1%' ESCAPE '\\'";

/** Restate's "suspended", in an object's own storage: running, but only waiting on completions. */
const OWN_STATUS = "CASE WHEN status = 'running' AND EXISTS (SELECT 1 FROM main.journal WHERE inv_seq = seq AND done = 0) THEN 'suspended' ELSE status END";

/**
 * The raw columns an index row carries: a subset of the `invocations` table, under the same
 * names (status already "suspended" where it is), so the view below reads either.
 */
export const INDEX_COLUMNS = ["id", "service", "handler", "key", "idempotency_key", "invoked_by", "status", "attempts", "next_at", "last_failure", "failure", "created_at", "modified_at", "completed_at", "expires_at"] as const;
const MODIFIED = INDEX_COLUMNS.indexOf("modified_at");
const EXPIRES = INDEX_COLUMNS.indexOf("expires_at");

/** What an owner sends: its rows' raw index columns (`failure` is only whether there is one). */
export const INDEX_ROW_SELECT = `SELECT ${INDEX_COLUMNS.map((c) => (c === "status" ? `${OWN_STATUS} AS status` : c === "failure" ? "CASE WHEN failure IS NULL THEN NULL ELSE json_object('message', json_extract(failure, '$.message')) END AS failure" : c)).join(", ")}`;

/**
 * Restate's `sys_invocation` columns, in Restate's names, each with its SQL over a relation
 * with `invocations`' columns. Columns Resolute has no value for are NULL, so Restate's CLI
 * queries naming them still run. `status` is the status expression to use.
 */
function sysInvocationColumns(status: string): (readonly [name: string, sql: string])[] {
  return [
    ["id", "id"],
    ["target", "service || '/' || (CASE WHEN key IS NULL THEN '' ELSE key || '/' END) || handler"],
    ["target_service_name", "service"],
    ["target_service_key", "key"],
    ["target_handler_name", "handler"],
    ["target_service_ty", SERVICE_TY],
    ["idempotency_key", "idempotency_key"],
    ["invoked_by", `CASE WHEN ${BY_HANDLER} THEN 'service' ELSE invoked_by END`],
    ["invoked_by_id", `CASE WHEN ${BY_HANDLER} THEN invoked_by END`],
    ["invoked_by_service_name", "NULL"],
    ["invoked_by_target", "NULL"],
    ["restarted_from", "NULL"],
    ["pinned_deployment_id", "NULL"],
    ["trace_id", "NULL"],
    ["status", status],
    // An index shard's row arrives over RPC as a JS number and is stored as a REAL: 1.0 (typeof 'real', '1.0' as text) where the owner holds 1.
    ["retry_count", "CAST(attempts AS INTEGER)"],
    ["last_failure", messageOf("last_failure")],
    ["last_failure_error_code", "CAST(json_extract(last_failure, '$.code') AS TEXT)"],
    ["last_failure_related_entry_index", "NULL"],
    ["last_failure_related_entry_name", "NULL"],
    ["last_failure_related_entry_type", "NULL"],
    ["last_attempt_deployment_id", "NULL"],
    ["last_attempt_server", "NULL"],
    ["last_start_at", "NULL"],
    ["next_retry_at", `CASE WHEN status = 'backing-off' THEN ${isoOf("next_at")} END`],
    ["scheduled_start_at", `CASE WHEN status = 'scheduled' THEN ${isoOf("next_at")} END`],
    ["created_at", isoOf("created_at")],
    ["modified_at", isoOf("modified_at")],
    ["completed_at", isoOf("completed_at")],
    ["completion_expires_at", isoOf("expires_at")],
    ["completion_result", "CASE WHEN status <> 'completed' THEN NULL WHEN failure IS NULL THEN 'success' ELSE 'failure' END"],
    ["completion_failure", messageOf("failure")],
  ];
}

const select = (status: string) => `SELECT ${sysInvocationColumns(status).map(([name, sql]) => `${sql} AS ${name}`).join(", ")}`;

export const SYS_INVOCATION_NAMES: readonly string[] = sysInvocationColumns("status").map(([name]) => name);

/** `SELECT <the columns>` over an object's own invocations table (append `FROM …`). */
export const SYS_INVOCATION_SELECT = select(OWN_STATUS);

/** The same over the index's rows, whose status is already Restate's. */
export const INDEX_VIEW_SELECT = select("status");

/** One row of the index: INDEX_COLUMNS' values, in that order. */
export type IndexRow = (string | number | null)[];

export const modifiedOf = (row: IndexRow): number => Number(row[MODIFIED]);
export const expiresOf = (row: IndexRow): number | null => (row[EXPIRES] as number | null) ?? null;

/** A batch of index changes: rows to upsert, ids deleted (purged, expired). */
export interface IndexBatch {
  rows: IndexRow[];
  deleted: string[];
}
