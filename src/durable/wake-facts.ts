/**
 * What a freshly started instance needs to know about its stored work, read when the
 * Store opens: after an eviction every statement is prepared anew and every page read from
 * disk, and a workload spread over many keys wakes objects all the time. So a woken object
 * reads its core tables in one statement, and each table once: timers and the outbox (tables
 * created on use, which the first statement cannot name before it knows they exist) with a
 * second one, only when they exist; the earliest due time is the least of the two answers.
 */
import { LazySql, openSchema } from "./lazy-sql.js";
import { LOCK_HOLDING_SQL } from "./schema.js";
import type { Row } from "./rows.js";

/** Meta key of the invocation index's mark (indexer.ts). */
export const INDEX_MARK_KEY = "index_mark";
/** Meta key of the latest modified time of a completion that superseded a copy the index may hold unfinished (indexer.ts). */
export const INDEX_EXPOSED_KEY = "index_exposed";

export interface WakeFacts {
  /** Outbox rows are waiting: deliver them. */
  undelivered: boolean;
  /** Invocations are stored as running: replay them. */
  running: boolean;
  /** The exclusive invocation holding the lock, if any. */
  lockHolder: string | null;
  /** Invocations wait for the lock (stored as pending): the lock reads them when it is released. */
  anyPending: boolean;
  /** The earliest time stored work is due (see Store.earliestDue), or null. */
  earliestDue: number | null;
  /** The invocation index's mark (indexer.ts), if stored; undefined too when there are no invocations. */
  indexMark: number | undefined;
  /** The invocation index's exposed-completion time (indexer.ts), if stored. */
  indexExposed: number | undefined;
  /** Whether any invocation is stored (a new object has nothing to resend to the index). */
  anyInvocations: boolean;
}

type DueTable = "timers" | "outbox";

/** When each source of due work is due: the earliest of its rows (NULL when it has none). */
const DUE_PARTS: Record<DueTable | "retries" | "expiry", string> = {
  timers: "SELECT MIN(at) AS t FROM timers",
  retries: "SELECT MIN(next_at) AS t FROM invocations WHERE status IN ('backing-off', 'scheduled')",
  outbox: "SELECT MIN(next_at) AS t FROM outbox",
  expiry: "SELECT MIN(expires_at) AS t FROM invocations WHERE status = 'completed'",
};

/** The earliest-due query's four texts, built once, by (timers exist ? 2 : 0) + (outbox exists ? 1 : 0). */
const EARLIEST_DUE = [0, 1, 2, 3].map((n) => {
  const parts = [...(n >= 2 ? [DUE_PARTS.timers] : []), DUE_PARTS.retries, ...(n % 2 === 1 ? [DUE_PARTS.outbox] : []), DUE_PARTS.expiry];
  return `SELECT (SELECT MIN(t) FROM (${parts.join(" UNION ALL ")})) AS t`;
});

/**
 * The earliest time any stored work is due: timers, retries, scheduled starts, outbox, expiry
 * (timers and outbox only when `has` says they exist). One column, `t`.
 */
export function earliestDueSql(has: (table: DueTable) => boolean): string {
  return EARLIEST_DUE[(has("timers") ? 2 : 0) + (has("outbox") ? 1 : 0)]!;
}

/** The core tables' facts, and which tables exist (openSchema's `schema` and `tables` columns). */
const WAKE_SQL = `SELECT (SELECT v FROM meta WHERE k = 'schema') AS schema,
  (SELECT group_concat(name) FROM sqlite_master WHERE type = 'table') AS tables,
  EXISTS (SELECT 1 FROM invocations WHERE status = 'running') AS running,
  (SELECT id FROM invocations WHERE exclusive = 1 AND status IN ${LOCK_HOLDING_SQL} LIMIT 1) AS lock_holder,
  EXISTS (SELECT 1 FROM invocations WHERE status = 'pending' AND expires_at IS NULL) AS any_pending,
  (SELECT MIN(t) FROM (${DUE_PARTS.retries} UNION ALL ${DUE_PARTS.expiry})) AS invocations_due,
  (SELECT v FROM meta WHERE k = '${INDEX_MARK_KEY}') AS index_mark,
  (SELECT v FROM meta WHERE k = '${INDEX_EXPOSED_KEY}') AS index_exposed,
  (SELECT MAX(seq) FROM invocations) AS last_seq`;

/** The second statement: when the timers and the outbox that exist are first due (an outbox row is always due some time). */
function dueTablesSql(has: (table: DueTable) => boolean): string {
  return `SELECT ${has("timers") ? `(${DUE_PARTS.timers})` : "NULL"} AS timers_due, ${has("outbox") ? `(${DUE_PARTS.outbox})` : "NULL"} AS outbox_due`;
}

/** Opens an object's storage and reads what it holds: its SQL, its wake facts, and the last seq given out (0 when none). */
export function openStore(storage: DurableObjectStorage): { sql: LazySql; facts: WakeFacts; lastSeq: number } {
  const { sql, wake } = openSchema(storage, WAKE_SQL);
  const tables = wake && (sql.has("timers") || sql.has("outbox")) ? storage.sql.exec<Row>(dueTablesSql((t) => sql.has(t))).one() : undefined;
  return { sql, facts: wakeFactsOf(wake, tables), lastSeq: Number(wake?.last_seq ?? 0) };
}

/** An object with no tables yet has nothing stored: no deliveries, nothing running or due. */
function wakeFactsOf(row: Row | undefined, tables: Row | undefined): WakeFacts {
  const due = [row?.invocations_due, tables?.timers_due, tables?.outbox_due].filter((t): t is number => typeof t === "number");
  return {
    undelivered: typeof tables?.outbox_due === "number",
    running: row?.running === 1,
    lockHolder: (row?.lock_holder as string | null | undefined) ?? null,
    anyPending: row?.any_pending === 1,
    earliestDue: due.length > 0 ? Math.min(...due) : null,
    indexMark: numberOrUndefined(row?.index_mark),
    indexExposed: numberOrUndefined(row?.index_exposed),
    anyInvocations: row?.last_seq !== null && row?.last_seq !== undefined,
  };
}

/** A meta value read as a number (meta stores text), undefined when absent. */
function numberOrUndefined(v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : Number(v);
}
