/**
 * Runs an admin's `POST /query` across the deployment as query-plan.ts planned
 * it: at one object, at the owners of the invocations it pins, or over every
 * index shard, then combines the answers (a second SQL pass over the rows, or a
 * merge of partial aggregates). Static tables (sys_deployment, sys_service,
 * information_schema.columns) come from the config as common table expressions.
 * Bounded like the per-object SQL: at most MAX_QUERY_ROWS rows, `truncated` when more.
 */
import type { Registry } from "../engine/registry.js";
import { invocationOwner, parseOwnerName } from "../engine/ids.js";
import type { AdminRequest } from "../durable/admin.js";
import { MAX_QUERY_ROWS, type RawQueryResult } from "../durable/sql-bounds.js";
import type { RawQueryOutcome } from "../durable/sql-views.js";
import { indexShardStub, type IndexStub } from "../durable/index-shard.js";
import { SYS_INVOCATION_NAMES } from "../durable/index-row.js";
import { planQuery, QueryPlanError, type Merge, type QueryPlan } from "./query-plan.js";
import { IngressError } from "./responses.js";
import { objectStub } from "./object-stub.js";
import { ownerOfTarget } from "./restate-shapes.js";

interface QueryConfig {
  registry: Registry;
  workflowShards: number;
  indexShards: number;
  /** Rows of sys_deployment and sys_service (this Worker as the one deployment). */
  deployment: { id: string; endpoint: string; createdAt: string };
}

type AdminStub = { admin(request: AdminRequest): Promise<unknown> };

/** Columns of the per-object sys_journal view (sql-views.ts), for information_schema. */
const SYS_JOURNAL_COLUMNS = ["id", "index", "entry_type", "name", "completed", "value_utf8", "failure", "appended_at", "invoked_id", "invoked_target", "sleep_wakeup_at", "promise_name", "version", "entry_json"];

export async function runQuery(query: string, config: QueryConfig, namespace: DurableObjectNamespace): Promise<RawQueryResult> {
  let plan: QueryPlan;
  try {
    plan = planQuery(query, MAX_QUERY_ROWS);
  } catch (e) {
    if (e instanceof QueryPlanError) throw new IngressError(400, e.message);
    throw e;
  }
  const context = staticTables(config);
  const coordinator = indexShardStub(namespace, Math.floor(Math.random() * Math.max(1, config.indexShards)));
  const final = (q: string, rows: unknown[][]) => coordinator.index({ kind: "final", query: q, context: `${context}, `, rows, maxRows: MAX_QUERY_ROWS }).then(answered);
  switch (plan.kind) {
    case "object":
      return objectQuery(plan, config, namespace);
    case "static":
      return final(plan.query, []);
    case "rows": {
      const parts = await sources(plan.scan, plan.limit, plan.ids, context, config, namespace);
      const result = await final(plan.query, parts.flatMap((p) => p.rows));
      // A source that filled its scan limit may have had more rows than the union holds.
      const cut = parts.some((p) => p.rows.length >= plan.limit && plan.limit > MAX_QUERY_ROWS);
      return { ...result, truncated: result.truncated || cut };
    }
    case "aggregate": {
      const parts = await sources(plan.scan, MAX_QUERY_ROWS * 10, plan.ids, context, config, namespace);
      return merged(plan, parts);
    }
  }
}

/** Runs `scan` at each source: the owners of the pinned ids, else every index shard. */
async function sources(scan: string, maxRows: number, ids: string[] | undefined, context: string, config: QueryConfig, namespace: DurableObjectNamespace): Promise<RawQueryResult[]> {
  if (ids) {
    const owners = new Set(ids.map((id) => invocationOwner(id)).filter((o): o is string => o !== undefined));
    return Promise.all([...owners].map((owner) => ownerQuery(owner, `WITH ${context} ${scan}`, config, namespace, maxRows)));
  }
  if (config.indexShards === 0) throw new IngressError(400, "the invocation index is off (createWorker({ indexShards: 0 })): name invocations by id, or turn it on");
  const shards: IndexStub[] = Array.from({ length: config.indexShards }, (_, n) => indexShardStub(namespace, n));
  return Promise.all(shards.map((s) => s.index({ kind: "scan", query: scan, context: `${context}, `, maxRows }).then(answered)));
}

/** An index shard's answer: its rows, or a 400 for a query it refused as unbounded. */
function answered(answer: unknown): RawQueryResult {
  const refused = (answer as { refused?: string }).refused;
  if (refused !== undefined) throw new IngressError(400, refused);
  return answer as RawQueryResult;
}

function objectQuery(plan: Extract<QueryPlan, { kind: "object" }>, config: QueryConfig, namespace: DurableObjectNamespace): Promise<RawQueryResult> {
  const owner = plan.owner ?? ownerOfTarget(config.registry, plan.service!, plan.key!);
  if (!owner) throw new IngressError(400, `no service '${plan.service}' (known: ${config.registry.serviceNames().join(", ")})`);
  return ownerQuery(owner, plan.query, config, namespace, MAX_QUERY_ROWS);
}

async function ownerQuery(owner: string, query: string, config: QueryConfig, namespace: DurableObjectNamespace, maxRows: number): Promise<RawQueryResult> {
  const { service, key } = parseOwnerName(owner)!;
  const stub = objectStub<AdminStub>(namespace, owner, config.workflowShards);
  const result = (await stub.admin({ op: "query", query, service, key, raw: true })) as RawQueryOutcome;
  if ("refused" in result) throw new IngressError(400, result.refused);
  return { ...result, rows: result.rows.slice(0, maxRows) };
}

/** Partial aggregates from every source, merged by their group keys, then ordered and cut. */
function merged(plan: Extract<QueryPlan, { kind: "aggregate" }>, parts: RawQueryResult[]): RawQueryResult {
  const groups = new Map<string, unknown[]>();
  for (const part of parts) {
    for (const row of part.rows) {
      const key = JSON.stringify(plan.merge.map((m, i) => (m === "key" ? row[i] : 0)));
      const seen = groups.get(key);
      groups.set(key, seen ? seen.map((v, i) => combine(plan.merge[i]!, v, row[i])) : [...row]);
    }
  }
  let rows = [...groups.values()];
  // An aggregate without GROUP BY over no rows still answers one row (COUNT = 0).
  if (rows.length === 0 && !plan.merge.includes("key")) rows = [plan.merge.map((m) => (m === "sum" ? 0 : null))];
  rows.sort((a, b) => {
    for (const { column, desc } of plan.order) {
      const order = compare(a[column], b[column]);
      if (order !== 0) return desc ? -order : order;
    }
    return 0;
  });
  const end = plan.limit === undefined ? undefined : plan.offset + plan.limit;
  const cut = rows.slice(plan.offset, end);
  return { columns: parts[0]?.columns ?? [], rows: cut.slice(0, MAX_QUERY_ROWS) as SqlStorageValue[][], truncated: cut.length > MAX_QUERY_ROWS || parts.some((p) => p.truncated) };
}

function combine(merge: Merge, a: unknown, b: unknown): unknown {
  if (merge === "key") return a;
  if (a === null || a === undefined) return b;
  if (b === null || b === undefined) return a;
  if (merge === "sum") return Number(a) + Number(b);
  const lower = compare(a, b) <= 0;
  return merge === "min" ? (lower ? a : b) : lower ? b : a;
}

/** SQLite's order: NULL, then numbers, then text. */
function compare(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (v === null || v === undefined ? 0 : typeof v === "number" ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (rank(a) === 0) return 0;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** sys_deployment, sys_service and information_schema.columns as CTEs (no trailing comma). */
function staticTables(config: QueryConfig): string {
  const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const { id, endpoint, createdAt } = config.deployment;
  const services = config.registry.serviceNames().map((name) => {
    const kind = config.registry.service(name)!.kind;
    const ty = kind === "object" ? "virtual_object" : kind;
    return `(${q(name)}, 1, 1, ${q(ty)}, ${q(id)})`;
  });
  const columns = [
    ...["sys_invocation", "sys_invocation_status"].flatMap((t) => SYS_INVOCATION_NAMES.map((c) => [t, c])),
    ...SYS_JOURNAL_COLUMNS.map((c) => ["sys_journal", c]),
  ].map(([t, c], i) => `('datafusion', 'public', ${q(t!)}, ${q(c!)}, ${i + 1}, 'Utf8', 'YES')`);
  return [
    `sys_deployment(id, ty, endpoint, created_at) AS (VALUES (${q(id)}, 'http', ${q(endpoint)}, ${q(createdAt)}))`,
    `sys_service(name, revision, public, ty, deployment_id) AS (${services.length ? `VALUES ${services.join(", ")}` : "SELECT NULL, NULL, NULL, NULL, NULL WHERE 0"})`,
    `information_schema_columns(table_catalog, table_schema, table_name, column_name, ordinal_position, data_type, is_nullable) AS (VALUES ${columns.join(", ")})`,
  ].join(",\n");
}
