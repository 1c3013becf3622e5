/**
 * The admin's SQL over one object's storage: read-only views named and shaped
 * like Restate's introspection tables (`sys_invocation`, `sys_journal`, `state`,
 * `sys_promise`, `sys_inbox`, `sys_keyed_service_status`), put in front of the
 * user's query as common table expressions, so no schema change is needed and
 * the raw tables stay queryable too. Pure text; Store runs it.
 *
 * Parameters: ?1 the service name, ?2 the key the admin asked for (an object's
 * key; for a workflow shard, state and promises carry their own workflow id).
 */

import { isoOf as iso, messageOf as message, SYS_INVOCATION_SELECT } from "./index-row.js";

// `main.<table>`: a view named like a table (state) must not read itself.
const VIEWS = `
sys_invocation AS (${SYS_INVOCATION_SELECT} FROM main.invocations),
sys_invocation_status AS (SELECT * FROM sys_invocation),
sys_journal AS (
  SELECT i.id AS id, j.idx AS "index", j.type AS entry_type, j.name AS name, j.done AS completed,
    CAST(j.value AS TEXT) AS value_utf8, ${message("j.failure")} AS failure, ${iso("j.appended_at")} AS appended_at,
    json_extract(j.data, '$.calleeId') AS invoked_id, NULL AS invoked_target, ${iso("json_extract(j.data, '$.wakeAt')")} AS sleep_wakeup_at,
    CASE WHEN j.type IN ('getPromise', 'peekPromise', 'completePromise') THEN j.name END AS promise_name
  FROM main.journal j JOIN main.invocations i ON i.seq = j.inv_seq),
state AS (
  SELECT ?1 AS service_name, CASE WHEN scope = '' THEN ?2 ELSE scope END AS service_key, key,
    CAST(value AS TEXT) AS value_utf8, value, length(value) AS value_length
  FROM main.state),
sys_promise AS (
  SELECT ?1 AS service_name, scope AS service_key, name AS key, 1 AS completed,
    CAST(value AS TEXT) AS completion_success_value_utf8, ${message("failure")} AS completion_failure
  FROM main.promises),
sys_inbox AS (
  SELECT service AS service_name, key AS service_key, id, seq AS sequence_number, ${iso("created_at")} AS created_at
  FROM main.invocations WHERE status = 'pending'),
sys_keyed_service_status AS (
  SELECT service AS service_name, key AS service_key, id AS invocation_id
  FROM main.invocations WHERE exclusive = 1 AND status IN ('running', 'backing-off', 'paused'))`;

/** Why a query is refused before it reaches SQLite; undefined when it may run. */
export function queryProblem(query: string): string | undefined {
  const body = stripTrailing(query);
  if (body === "") return "the query is empty";
  if (body.includes(";")) return "one statement only (no ';' inside the query)";
  if (!/^(select|with|values)\b/i.test(body)) return "only SELECT queries (or WITH … SELECT) are allowed";
  return undefined;
}

/** The query with the views in front (merged into its own WITH clause when it has one). */
export function withViews(query: string): string {
  const body = stripTrailing(query);
  const own = /^with\s+(recursive\s+)?/i.exec(body);
  if (!own) return `WITH ${VIEWS}\n${body}`;
  return `WITH ${own[1] ? "RECURSIVE " : ""}${VIEWS},\n${body.slice(own[0].length)}`;
}

function stripTrailing(query: string): string {
  return query.trim().replace(/;\s*$/, "").trim();
}
