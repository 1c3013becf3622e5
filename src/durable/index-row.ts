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
 * ('b' for o, 'c' for s, 'd' for w). So the service's kind reads off the id with no lookup.
 */
const SERVICE_TY = "CASE substr(id, 6, 1) WHEN 'b' THEN 'virtual_object' WHEN 'd' THEN 'workflow' ELSE 'service' END";
/** `invoked_by` holds "ingress", "restart-as-new" or the caller's invocation id. */
const BY_HANDLER = "invoked_by LIKE 'inv\\_1%' ESCAPE '\\'";

/**
 * Restate's `sys_invocation` columns, in Restate's names, each with its SQL over `invocations`.
 * Columns Resolute has no value for are NULL, so Restate's CLI queries naming them still run.
 */
export const SYS_INVOCATION_COLUMNS: readonly (readonly [name: string, sql: string])[] = [
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
  // Restate's "suspended": running, but only waiting on completions (a sleep, call, awakeable, promise).
  ["status", "CASE WHEN status = 'running' AND EXISTS (SELECT 1 FROM main.journal WHERE inv_seq = seq AND done = 0) THEN 'suspended' ELSE status END"],
  ["retry_count", "attempts"],
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

export const SYS_INVOCATION_NAMES: readonly string[] = SYS_INVOCATION_COLUMNS.map(([name]) => name);

/** `SELECT <the columns>` over the invocations table (alias-free: append `FROM …`). */
export const SYS_INVOCATION_SELECT = `SELECT ${SYS_INVOCATION_COLUMNS.map(([name, sql]) => `${sql} AS ${name}`).join(", ")}`;

/** One row of the index: the columns above plus what the index needs to order and expire rows. */
export interface IndexRow {
  values: (string | number | null)[];
  /** Owner's clock, ms: a row only replaces an older one. */
  modifiedMs: number;
  /** When the owner forgets it (completed only), ms; the index forgets it then too. */
  expiresMs: number | null;
}

/** A batch of index changes from one owner: rows to upsert, ids deleted (purged, expired). */
export interface IndexBatch {
  rows: IndexRow[];
  deleted: string[];
}

/** What an owner's index rows are read with: the columns, then the two ordering facts. */
export const INDEX_ROW_SELECT = `${SYS_INVOCATION_SELECT}, modified_at AS _modified_ms, expires_at AS _expires_ms`;
