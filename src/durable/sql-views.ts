/**
 * The admin's SQL over one object's storage: read-only views named and shaped
 * like Restate's introspection tables (`sys_invocation`, `sys_journal`, `state`,
 * `sys_promise`, `sys_inbox`, `sys_keyed_service_status`), put in front of the
 * user's query as common table expressions, so no schema change is needed and
 * the raw tables stay queryable too. Pure text; Store runs it.
 *
 * Parameters: ?1 the service name, ?2 the key the admin asked for (an object's
 * key; for a workflow shard, state and promises carry their own workflow id).
 * What a query may do is bounded by sql-bounds.ts.
 */
import { LOCK_HOLDING_SQL } from "./schema.js";
import type { SqlText } from "./sql-text.js";
import { boundedRawRows, boundedRows, queryShape, rolledBack, workProblem, type QueryOutcome, type QueryShape, type RawQueryResult } from "./sql-bounds.js";

/** A refused query's reason, or the answer with each row in column order. */
export type RawQueryOutcome = RawQueryResult | { refused: string };

import { isoOf as iso, messageOf as message, SYS_INVOCATION_SELECT } from "./index-row.js";

/**
 * Restate's `entry_json` (its journal v2 entry, which Restate's CLI reads for the details of a
 * line of `invocations describe`), for the entries whose Restate shape Resolute's journal
 * holds: a sleep and when it wakes. NULL for the others (the CLI then shows type and name).
 */
const RESTATE_ENTRY_JSON = `CASE WHEN j.type = 'sleep' THEN json_object('Command', json_object('Sleep',
  json_object('wake_up_time', json_extract(j.data, '$.wakeAt'), 'completion_id', j.idx, 'name', j.name))) END`;

// `main.<table>`: a view named like a table (state) must not read itself.
const VIEWS = `
sys_invocation AS (${SYS_INVOCATION_SELECT} FROM main.invocations),
sys_invocation_status AS (SELECT * FROM sys_invocation),
sys_journal AS (
  SELECT i.id AS id, j.idx AS "index", j.type AS entry_type, j.name AS name, j.done AS completed,
    CAST(j.value AS TEXT) AS value_utf8, ${message("j.failure")} AS failure, ${iso("j.appended_at")} AS appended_at,
    json_extract(j.data, '$.calleeId') AS invoked_id, NULL AS invoked_target, ${iso("json_extract(j.data, '$.wakeAt')")} AS sleep_wakeup_at,
    CASE WHEN j.type IN ('getPromise', 'peekPromise', 'completePromise') THEN j.name END AS promise_name,
    2 AS version, ${RESTATE_ENTRY_JSON} AS entry_json
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
  FROM main.invocations WHERE exclusive = 1 AND status IN ${LOCK_HOLDING_SQL})`;

/** The tables each view reads: a view has at most as many rows as they have together. */
const VIEW_TABLES: Record<string, readonly string[]> = {
  sys_invocation: ["invocations"],
  sys_journal: ["journal", "invocations"],
  state: ["state"],
  sys_promise: ["promises"],
  sys_inbox: ["invocations"],
  sys_keyed_service_status: ["invocations"],
};

/** Names of the schema table, whose rows are counted like a table's. */
const SCHEMA_TABLES = new Set(["sqlite_schema", "sqlite_master", "sqlite_temp_schema", "sqlite_temp_master"]);

/** Why a query is refused before it reaches the object (from its text alone); undefined when it may be sent. */
export function queryProblem(query: string): string | undefined {
  const shape = checkedShape(query);
  return "refused" in shape ? shape.refused : undefined;
}

/**
 * The query as it runs (without a trailing `;`) with its tokens, or why it is refused before it
 * reaches an object: where a query enters, it is read once, and the planner reasons over these tokens.
 */
export function checkedQuery(query: string): SqlText | { refused: string } {
  const shape = checkedShape(query);
  return "refused" in shape ? shape : { sql: shape.sql, tokens: shape.tokens };
}

function checkedShape(query: string): QueryShape | { refused: string } {
  const body = stripTrailing(query);
  if (body === "") return { refused: "the query is empty" };
  if (!/^(select|with|values)\b/i.test(body)) return { refused: "only SELECT queries (or WITH … SELECT) are allowed" };
  const shape = queryShape(body);
  if ("refused" in shape) return shape;
  if (shape.tokens.some((t) => t.kind === "punct" && t.text === ";")) return { refused: "one statement only (no ';' inside the query)" };
  return shape;
}

/**
 * Runs an admin query inside `transaction` and rolls it back whatever it did,
 * unless it is refused first: by its text, or because the row counts of what it
 * names allow more work than MAX_QUERY_WORK.
 */
export function runReadOnlyQuery(sql: SqlStorage, transaction: (fn: () => void) => void, query: string, service: string, key: string): QueryOutcome;
export function runReadOnlyQuery(sql: SqlStorage, transaction: (fn: () => void) => void, query: string, service: string, key: string, raw: true): RawQueryOutcome;
export function runReadOnlyQuery(sql: SqlStorage, transaction: (fn: () => void) => void, query: string, service: string, key: string, raw = false): QueryOutcome | RawQueryOutcome {
  const shape = checkedShape(query);
  if ("refused" in shape) return shape;
  const tooMuch = workProblem(shape, sourceRows(rowCounter(sql)));
  if (tooMuch) return { refused: tooMuch };
  return rolledBack(transaction, () => {
    const cursor = sql.exec(withViews(query), service, key);
    return raw ? boundedRawRows(cursor) : boundedRows(cursor);
  });
}

/** Row counts of the object's tables by name (undefined for other names), each counted once, when first asked. */
export function rowCounter(sql: SqlStorage): (table: string) => number | undefined {
  const tables = new Set(sql.exec<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'").toArray().map((r) => r.name.toLowerCase()));
  tables.add("sqlite_schema");
  const counts = new Map<string, number>();
  return (table) => {
    if (!tables.has(table)) return undefined;
    let n = counts.get(table);
    if (n === undefined) {
      n = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).one().n;
      counts.set(table, n);
    }
    return n;
  };
}

/**
 * The rows a name in a query stands for, given the tables' row counts: a view's
 * tables together, the schema table under any of its names, a table; undefined
 * for names that are none of these (columns, functions, aliases).
 */
export function sourceRows(tableRows: (table: string) => number | undefined): (name: string) => number | undefined {
  return (name) => {
    const view = VIEW_TABLES[name];
    if (view) return view.reduce((sum, table) => sum + (tableRows(table) ?? 0), 0);
    return tableRows(SCHEMA_TABLES.has(name) ? "sqlite_schema" : name);
  };
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
