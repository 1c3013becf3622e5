/**
 * Runs an admin's `POST /query` across the deployment as query-plan.ts planned
 * it: at one object, at the owners of the invocations it pins, or over every
 * index shard, then combines the answers (a second SQL pass over the rows, or a
 * merge of partial aggregates). Static tables (sys_deployment, sys_service,
 * information_schema.columns) come from the config as common table expressions.
 * Bounded like the per-object SQL: at most MAX_QUERY_ROWS rows, `truncated` when more.
 */
import type { Registry } from "../engine/registry.js";
import { isKnownOwner, knownOwnerOfKey, type TargetKinds } from "../engine/addressing.js";
import { parseOwnerName } from "../engine/ids.js";
import type { AdminRequest } from "../durable/admin.js";
import { MAX_QUERY_ROWS, type RawQueryResult } from "../durable/sql-bounds.js";
import type { RawQueryOutcome } from "../durable/sql-views.js";
import { INDEX_TABLES, coordinatorStub, indexShardStub, type IndexStub } from "../durable/index-shard.js";
import { SYS_INVOCATION_NAMES } from "../durable/index-row.js";
import { quoteString, type SqlText } from "../durable/sql-text.js";
import { planQuery, QueryPlanError, type Merge, type QueryPlan } from "./query-plan.js";
import { IngressError } from "./responses.js";
import { objectStub } from "./object-stub.js";
import { knownOwnerOf } from "./invocation-id.js";
import { DEPLOYMENT_ID } from "./restate-shapes.js";

export interface QueryConfig {
  registry: Registry;
  kinds: TargetKinds;
  workflowShards: number;
  indexShards: number;
}

/** This Worker as the one deployment (sys_deployment's row; sys_service names it). */
interface QueryDeployment {
  id: string;
  endpoint: string;
  createdAt: string;
}

/**
 * Most objects one query may read (the owners of the ids it pins): each is a call to a Durable
 * Object, which Cloudflare counts against a request's subrequests (50 on Workers Free, 10,000
 * on Paid). 32 leaves room for the calls at the index shards (4 by default) that resolve
 * Restate-format ids, and for the second pass. (adversary: `id IN (…)` of ~1,500 ids woke ~1,500 objects.)
 */
export const MAX_QUERY_OWNERS = 32;

/** Most rows of partial aggregates one source answers with. */
const PARTIAL_ROWS = MAX_QUERY_ROWS * 10;

type AdminStub = { admin(request: AdminRequest): Promise<unknown> };

/** What one query runs with: the config, the namespace, and the static tables as CTEs. */
interface Run {
  config: QueryConfig;
  namespace: DurableObjectNamespace;
  context: string;
}

/** Columns of the per-object sys_journal view (sql-views.ts), for information_schema. */
const SYS_JOURNAL_COLUMNS = ["id", "index", "entry_type", "name", "completed", "value_utf8", "failure", "appended_at", "invoked_id", "invoked_target", "sleep_wakeup_at", "promise_name", "version", "entry_json"];

/**
 * Runs admins' queries. The static tables are built once (sys_service and
 * information_schema.columns from the config; sys_deployment again only when the
 * Worker is reached under another origin).
 */
export function createQueryRunner(config: QueryConfig) {
  const tables = staticTables(config.registry);
  let deployment: { key: string; context: string } | undefined;
  return (query: SqlText, of: QueryDeployment, namespace: DurableObjectNamespace): Promise<RawQueryResult> => {
    const key = `${of.id} ${of.endpoint} ${of.createdAt}`;
    if (deployment?.key !== key) deployment = { key, context: `${deploymentTable(of)},\n${tables}` };
    let plan: QueryPlan;
    try {
      plan = planQuery(query, MAX_QUERY_ROWS);
    } catch (e) {
      if (e instanceof QueryPlanError) throw new IngressError(400, e.message);
      throw e;
    }
    return run(plan, { config, namespace, context: deployment.context });
  };
}

async function run(plan: QueryPlan, r: Run): Promise<RawQueryResult> {
  if (plan.kind === "object") return objectQuery(plan, r);
  if (plan.kind === "static") return final(r, plan.query, 0, []); // static tables only: no read of sys_invocation
  // Forged ids name owners that cannot exist: no object is woken (created) for them.
  const owners = plan.ids && [...new Set(plan.ids.map((id) => knownOwnerOf(r.config.kinds, id)).filter((o): o is string => o !== undefined))];
  if (owners?.length === 0) return final(r, plan.query, plan.reads, []);
  if (owners && owners.length > MAX_QUERY_OWNERS) {
    throw new IngressError(
      400,
      `the query pins invocations of ${owners.length} objects, more than the ${MAX_QUERY_OWNERS} one query may read: each is a call to a Durable Object, and Cloudflare ` +
        `limits the calls one request makes (50 on Workers Free). Split the ids over several queries of at most ${MAX_QUERY_OWNERS} objects, or filter without ids (the index answers)`,
    );
  }
  // One owner holds every row the query can read: it answers the query itself, in one call.
  if (owners?.length === 1) return ownerQuery(r, owners[0]!, `WITH ${r.context} ${plan.query}`, MAX_QUERY_ROWS);
  if (plan.kind === "rows") {
    const parts = await sources(r, plan, plan.limit, owners);
    const result = await final(r, plan.query, plan.reads, parts.flatMap((p) => p.rows));
    // A source that filled its scan limit may have had more rows than the union holds.
    const cut = parts.some((p) => p.truncated || (p.rows.length >= plan.limit && plan.limit > MAX_QUERY_ROWS));
    if (cut && !plan.prefix) {
      throw new IngressError(
        400,
        `an index shard or owner has more than ${MAX_QUERY_ROWS.toLocaleString("en")} rows for this query, and with an OFFSET, an aggregate over the rows (HAVING, ORDER BY count(*)) or an ORDER BY ` +
          "over a FROM subquery its first rows would not give the right ones: narrow the rows with WHERE (page with WHERE on the ordered columns instead of OFFSET), or order sys_invocation read directly",
      );
    }
    return { ...result, truncated: result.truncated || cut };
  }
  return merged(plan, await sources(r, plan, PARTIAL_ROWS, owners));
}

/**
 * The admin's query over `rows` as sys_invocation (none: the static tables alone), in one
 * call: at an index shard, or with the index off at the query coordinator, which stores nothing.
 */
function final(r: Run, query: string, reads: number, rows: unknown[][]): Promise<RawQueryResult> {
  const call = { kind: "final", query, reads, context: `${r.context}, `, rows, maxRows: MAX_QUERY_ROWS } as const;
  return coordinatorStub(r.namespace, r.config.indexShards).index(call).then(answered);
}

/** Runs the plan's scan at each source: the (known) owners of the pinned ids, else every index shard. */
async function sources(r: Run, { scan, scanReads }: { scan: string; scanReads: number }, maxRows: number, owners: string[] | undefined): Promise<RawQueryResult[]> {
  if (owners) return Promise.all(owners.map((owner) => ownerQuery(r, owner, `WITH ${r.context} ${scan}`, maxRows)));
  const { indexShards } = r.config;
  if (indexShards === 0) throw new IngressError(400, "the invocation index is off (createWorker({ indexShards: 0 })): name invocations by id, or turn it on");
  const shards: IndexStub[] = Array.from({ length: indexShards }, (_, n) => indexShardStub(r.namespace, n));
  return Promise.all(shards.map((s) => s.index({ kind: "scan", query: scan, reads: scanReads, context: `${r.context}, `, maxRows }).then(answered)));
}

/** An index shard's answer: its rows, or a 400 for a query it refused as unbounded. */
function answered(answer: unknown): RawQueryResult {
  const refused = (answer as { refused?: string }).refused;
  if (refused !== undefined) throw new IngressError(400, refused);
  return answer as RawQueryResult;
}

const NOTHING: RawQueryResult = { columns: [], rows: [], truncated: false };

function objectQuery(plan: Extract<QueryPlan, { kind: "object" }>, r: Run): Promise<RawQueryResult> {
  const { kinds, registry } = r.config;
  if (plan.owner === undefined && kinds.kindOf(plan.service!) === undefined) {
    throw new IngressError(400, `no service '${plan.service}' (known: ${registry.serviceNames().join(", ")})`);
  }
  // An owner that cannot exist (a forged id, a service shard out of range) holds nothing: no object is made for it.
  const owner = plan.owner === undefined ? knownOwnerOfKey(kinds, plan.service!, plan.key!) : isKnownOwner(kinds, plan.owner) ? plan.owner : undefined;
  return owner === undefined ? Promise.resolve(NOTHING) : ownerQuery(r, owner, plan.query, MAX_QUERY_ROWS);
}

async function ownerQuery(r: Run, owner: string, query: string, maxRows: number): Promise<RawQueryResult> {
  const { service, key } = parseOwnerName(owner)!;
  const stub = objectStub<AdminStub>(r.namespace, owner, r.config.workflowShards);
  const result = (await stub.admin({ op: "query", query, service, key, raw: true })) as RawQueryOutcome;
  if ("refused" in result) throw new IngressError(400, result.refused);
  return { ...result, rows: result.rows.slice(0, maxRows) };
}

/**
 * Partial aggregates from every source, merged by their group keys, then ordered and cut. A
 * column the plan does not list (of a `SELECT DISTINCT *`) is a key. A source that cut its
 * answer left some groups' parts out: merged anyway they would be wrong, so that is a 400.
 */
function merged(plan: Extract<QueryPlan, { kind: "aggregate" }>, parts: RawQueryResult[]): RawQueryResult {
  if (parts.some((p) => p.truncated)) {
    throw new IngressError(400, `an index shard or owner had more than ${PARTIAL_ROWS.toLocaleString("en")} groups (or 4 MiB of them) to merge, and its cut part would make the totals wrong: group by fewer columns, or narrow the rows with WHERE`);
  }
  const mergeOf = (i: number): Merge => plan.merge[i] ?? "key";
  const groups = new Map<string, unknown[]>();
  for (const part of parts) {
    for (const row of part.rows) {
      const key = JSON.stringify(row.map((v, i) => (mergeOf(i) !== "key" ? 0 : v instanceof ArrayBuffer ? { blob: [...new Uint8Array(v)] } : v)));
      const seen = groups.get(key);
      groups.set(key, seen ? seen.map((v, i) => combine(mergeOf(i), v, row[i])) : [...row]);
    }
  }
  let rows = [...groups.values()];
  // An aggregate without GROUP BY over no rows still answers one row (COUNT = 0).
  if (rows.length === 0 && !plan.merge.includes("key")) rows = [plan.merge.map((m) => (m === "sum" ? 0 : null))];
  // A lone COUNT over a FROM subquery's LIMIT: each source counted up to it, the deployment's count is too.
  const { cap } = plan;
  if (cap !== undefined) rows = rows.map(([n]) => [Math.min(Number(n), cap)]);
  rows.sort((a, b) => {
    for (const { column, desc } of plan.order) {
      const order = compare(a[column], b[column]);
      if (order !== 0) return desc ? -order : order;
    }
    return 0;
  });
  const end = plan.limit === undefined ? undefined : plan.offset + plan.limit;
  const cut = rows.slice(plan.offset, end);
  return { columns: parts[0]?.columns ?? [], rows: cut.slice(0, MAX_QUERY_ROWS) as SqlStorageValue[][], truncated: cut.length > MAX_QUERY_ROWS };
}

function combine(merge: Merge, a: unknown, b: unknown): unknown {
  if (merge === "key") return a;
  if (a === null || a === undefined) return b;
  if (b === null || b === undefined) return a;
  if (merge === "sum") return Number(a) + Number(b);
  const lower = compare(a, b) <= 0;
  return merge === "min" ? (lower ? a : b) : lower ? b : a;
}

/** SQLite's order: NULL, then numbers, then text (by UTF-8 bytes), then blobs (by bytes). */
function compare(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (v === null || v === undefined ? 0 : typeof v === "number" ? 1 : v instanceof ArrayBuffer ? 3 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (rank(a) === 0) return 0;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (a instanceof ArrayBuffer && b instanceof ArrayBuffer) return compareBytes(new Uint8Array(a), new Uint8Array(b));
  return compareText(String(a), String(b));
}

/**
 * SQLite's BINARY order of text, UTF-8's byte order, which is the order of code points: in
 * UTF-16's, a character past U+FFFF (a surrogate pair, 0xD800…) sorted before U+E000…U+FFFF,
 * so MIN, MAX and ORDER BY of merged answers disagreed with SQLite's (queryadv: 'h-😀' < 'h-！').
 */
function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeOrder(x) - codeOrder(y);
  }
  return a.length - b.length;
}

/** A UTF-16 code unit moved so that surrogates sort after U+E000…U+FFFF, as their code points do. */
const codeOrder = (unit: number): number => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}


/** sys_deployment as a CTE (no trailing comma). */
function deploymentTable({ id, endpoint, createdAt }: QueryDeployment): string {
  return `sys_deployment(id, ty, endpoint, created_at) AS (VALUES (${quoteString(id)}, 'http', ${quoteString(endpoint)}, ${quoteString(createdAt)}))`;
}

/** sys_service and information_schema.columns as CTEs (no trailing comma): fixed by the registry. */
function staticTables(registry: Registry): string {
  const services = registry.serviceNames().map((name) => {
    const kind = registry.service(name)!.kind;
    const ty = kind === "object" ? "virtual_object" : kind;
    return `(${quoteString(name)}, 1, 1, ${quoteString(ty)}, ${quoteString(DEPLOYMENT_ID)})`;
  });
  const columns = [
    ...[...INDEX_TABLES].flatMap((t) => SYS_INVOCATION_NAMES.map((c) => [t, c])),
    ...SYS_JOURNAL_COLUMNS.map((c) => ["sys_journal", c]),
  ].map(([t, c], i) => `('datafusion', 'public', ${quoteString(t!)}, ${quoteString(c!)}, ${i + 1}, 'Utf8', 'YES')`);
  return [
    `sys_service(name, revision, public, ty, deployment_id) AS (${services.length ? `VALUES ${services.join(", ")}` : "SELECT NULL, NULL, NULL, NULL, NULL WHERE 0"})`,
    `information_schema_columns(table_catalog, table_schema, table_name, column_name, ordinal_position, data_type, is_nullable) AS (VALUES ${columns.join(", ")})`,
  ].join(",\n");
}
