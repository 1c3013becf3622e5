/**
 * Plans an admin's `POST /query` across the deployment. Each Durable Object is
 * its own SQLite database, so a query is answered where its tables live:
 * - `state`, `sys_journal`, `sys_promise`, `sys_inbox`, `sys_keyed_service_status`:
 *   in the one object the query names (`service_name = '…' AND service_key = '…'`,
 *   or an invocation id literal);
 * - `sys_invocation` / `sys_invocation_status`: at the owners of the invocation ids
 *   the WHERE clause pins (`id = '…'`, `id IN (…)`: fresh, no index lag), else in
 *   every index shard; the shards' answers are then combined:
 *   - plain row queries: each source returns its matching sys_invocation rows (ORDER BY
 *     and LIMIT pushed down), and the admin's query runs again over their union;
 *   - aggregates (COUNT, SUM, TOTAL, MIN, MAX, optionally with GROUP BY): each source
 *     aggregates its own rows and the partial results are merged here;
 * - `sys_deployment`, `sys_service`, `information_schema.columns`: static, from the config.
 * A query is split only where the parts' answers combine into the deployment-wide one: it
 * reads sys_invocation once, in FROM (splittable, query-clauses.ts). Anything else is a 400
 * that says why, never an answer computed from parts. Pure: text in, plan out.
 */
import { invocationOwner } from "../engine/ids.js";
import { isKeyword, isPunct, isTableName, quoteString, spliceSql, sqlText, stringValue, tokenText, type SqlEdit, type SqlText, type SqlToken as Token } from "../durable/sql-text.js";
import { queryShape, readsOf } from "../durable/sql-bounds.js";
import { INDEX_TABLES } from "../durable/index-shard.js";
import { AGGREGATES, clauses, type Clauses, conjunctValues, hasAggregate, hasWindow, isAggregateAt, nameOf, QueryPlanError, sourceProblem, splitTop, tableReferences, type Merge } from "./query-clauses.js";
import { OBJECT_TABLES, objectTarget } from "./query-object.js";
import { aliasSubquery, directRead, integer, rowScan, sourceToken, subqueryLimits, type SelectItem } from "./query-scans.js";

export { QueryPlanError };

export type { Merge };

/**
 * `reads` and `scanReads`: how many times `query` and `scan` read sys_invocation (readsOf), sent
 * with them so that an index shard bounds only what reads its table more than once, without
 * reading the query again.
 */
export type QueryPlan =
  | { kind: "object"; query: string; owner?: string; service?: string; key?: string }
  | { kind: "static"; query: string }
  /** `prefix`: an answer over a source's cut rows is still the first rows of the true one (see rowsPrefix). */
  | { kind: "rows"; query: string; reads: number; scan: string; scanReads: number; ids?: string[]; limit: number; prefix: boolean }
  /** `cap`: the LIMIT of the FROM subquery a lone COUNT counts, applied once more to the merged count. */
  | { kind: "aggregate"; query: string; reads: number; scan: string; scanReads: number; ids?: string[]; merge: Merge[]; order: { column: number; desc: boolean }[]; limit?: number; offset: number; cap?: number };

const WRITES = new Set(["insert", "update", "delete", "replace"]);
const STATIC_TABLES = new Set(["sys_deployment", "sys_service", "information_schema_columns"]);
/** Every table `POST /query` offers (information_schema.columns under the name it is rewritten to). */
const QUERY_TABLES = new Set([...INDEX_TABLES, ...OBJECT_TABLES, ...STATIC_TABLES]);
const QUERY_TABLE_LIST = "sys_invocation, sys_invocation_status, sys_journal, state, sys_promise, sys_inbox, sys_keyed_service_status, sys_service, sys_deployment, information_schema.columns";
const MIXED_TABLES =
  "sys_invocation cannot be read in one query with state, sys_journal, sys_promise, sys_inbox or sys_keyed_service_status: those are read at one object, " +
  "where sys_invocation would hold only that object's invocations. Query them apart (or POST objects/{service}/{key}/query for one object's own)";

/** The tables a planned query reads: the names in a table's place (isTableName) that no qualifier names (`x.state` is a column). */
function tablesOf(tokens: readonly Token[]): Set<string> {
  return new Set(tokens.filter((_, i) => isTableName(tokens, i) && !isPunct(tokens[i - 1], ".")).map((t) => nameOf(t)!));
}

/** How many times `query` reads sys_invocation (what an index shard's bound needs). */
function indexReads(query: string | SqlText): number {
  const reads = readsOf(query, INDEX_TABLES);
  if (typeof reads === "number") return reads;
  throw new QueryPlanError(reads.refused);
}

/** Which kind of plan a query's tables call for. */
function planKindOf(tokens: readonly Token[]): "object" | "index" | "static" | undefined {
  const tables = tablesOf(tokens);
  const has = (set: ReadonlySet<string>) => [...set].some((t) => tables.has(t));
  return has(OBJECT_TABLES) ? "object" : has(INDEX_TABLES) ? "index" : has(STATIC_TABLES) ? "static" : undefined;
}

/**
 * Plans `query` (already checked by sql-views' checkedQuery: one SELECT, tokenized there; a
 * string is read here, for tests and callers that have no tokens yet).
 */
export function planQuery(query: string | SqlText, maxRows: number): QueryPlan {
  const read = typeof query === "string" ? sqlText(query) : query;
  if ("error" in read) throw new QueryPlanError(`the query cannot be read: ${read.error}`);
  const q = rewriteSchemaNames(read);
  refuseOtherTables(q);
  switch (planKindOf(q.tokens)) {
    case "object":
      // Run at one object, sys_invocation would be that object's invocations, not the deployment's.
      if ([...INDEX_TABLES].some((t) => tablesOf(q.tokens).has(t))) throw new QueryPlanError(MIXED_TABLES);
      return { kind: "object", query: q.sql, ...objectTarget(q) };
    case "index":
      return planIndexQuery(q, maxRows);
    case "static":
      return { kind: "static", query: q.sql };
    case undefined:
      throw new QueryPlanError(`the query reads no table Resolute knows: use ${QUERY_TABLE_LIST}`);
  }
}

/**
 * A 400 for a query that names a table `POST /query` does not offer: the SQLite tables of the
 * object answering it (an index shard's raw rows, sqlite_master, a `main.` name) are Resolute's
 * storage, whose reads the planner neither splits nor bounds. Its own CTEs it may name.
 */
function refuseOtherTables(q: SqlText): void {
  // A write after WITH is rolled back, but its target is no FROM item and its RETURNING read the raw rows (queryadv).
  const write = q.tokens.find((t, i) => [...WRITES].some((w) => isKeyword(t, w)) && (!isKeyword(t, "replace") || isKeyword(q.tokens[i + 1], "into")));
  if (write) throw new QueryPlanError(`POST /query only reads: ${nameOf(write)!.toUpperCase()} is not allowed (one SELECT, or WITH … SELECT)`);
  const shape = queryShape(q);
  if ("refused" in shape) throw new QueryPlanError(shape.refused);
  const ctes = new Set([...shape.definitions].map((i) => nameOf(q.tokens[i])));
  const others = [...new Set(tableReferences(q.tokens))].filter((name) => !QUERY_TABLES.has(name) && !ctes.has(name));
  if (others.length === 0) return;
  throw new QueryPlanError(
    `the query reads ${others.join(", ")}, which POST /query does not offer: it reads ${QUERY_TABLE_LIST} (and the query's own WITH tables). ` +
      "One object's own storage, raw tables included, is read with POST objects/{service}/{key}/query",
  );
}

/**
 * DataFusion's spellings in SQLite's: `information_schema.columns` becomes the static view's
 * name (SQLite has no schemas), and the column `index` (sys_journal's) is quoted, as `index`
 * is an SQLite keyword. Token by token: a string or comment that holds these words is kept.
 */
function rewriteSchemaNames(q: SqlText): SqlText {
  const t = q.tokens;
  const edits: SqlEdit[] = [];
  for (let i = 0; i < t.length; i++) {
    if (nameOf(t[i]) === "information_schema" && isPunct(t[i + 1], ".") && nameOf(t[i + 2]) === "columns") {
      edits.push({ from: i, to: i + 3, text: "information_schema_columns" });
      i += 2;
    } else if (isKeyword(t[i], "index")) {
      edits.push({ from: i, to: i + 1, text: '"index"' });
    } else if (isKeyword(t[i], "target") && isKeyword(t[i + 1], "like")) {
      const id = /^([^'/]+)\/%$/.exec(stringValue(q, t[i + 2]) ?? "")?.[1];
      if (id === undefined || !invocationOwner(id)) continue;
      edits.push({ from: i, to: i + 3, text: `id = ${quoteString(id)}` });
      i += 2;
    }
  }
  return spliceSql(q, edits);
}

/**
 * Restate's CLI, given an id it cannot parse (Resolute's ids carry their owner, not Restate's
 * partition key), takes it for a service name and asks for `target LIKE '<id>/%'`. No service
 * is named like an invocation id, so that filter means the invocation itself: the rewrite
 * above lets `restate invocations cancel|kill|purge <id>` find it.
 */

function planIndexQuery(q: SqlText, maxRows: number): QueryPlan {
  const query = q.sql;
  const top = q.tokens.filter((t) => t.depth === 0);
  if (!isKeyword(top[0], "select")) throw new QueryPlanError("across the deployment a query is one SELECT (no WITH, no VALUES): name sys_invocation in its FROM clause");
  if (top.some((t) => isKeyword(t, "union") || isKeyword(t, "intersect") || isKeyword(t, "except"))) throw new QueryPlanError("UNION, INTERSECT and EXCEPT are not supported over sys_invocation: run each SELECT on its own");
  const c = clauses(q.tokens);
  const reads = splittable(q, c.from);
  // Pinned only when FROM reads sys_invocation itself: a subquery there may call another column `id`.
  const ids = directRead(c.from) < 0 ? undefined : pinnedIds(q, c.where, nameOf(sourceToken(c.from))!);
  const items = splitTop(c.select).map((item) => selectItem(q, item));
  const aggregated = c.groupBy.length > 0 || items.some((i) => i.aggregate !== undefined);
  const limit = integer(q, c.limit, "LIMIT");
  const offset = integer(q, c.offset, "OFFSET") ?? 0;
  if (!aggregated && !c.distinct) {
    const { scan, rows } = rowScan(q, c, items, Math.min(limit === undefined ? maxRows + 1 : limit + offset, maxRows + 1), maxRows);
    return { kind: "rows", query, reads, scan, scanReads: indexReads(scan), ...(ids ? { ids } : {}), limit: rows, prefix: rowsPrefix(c, offset) };
  }
  if (c.having.length) throw new QueryPlanError("HAVING is not supported over sys_invocation (each shard would filter its partial counts): filter the rows with WHERE");
  if (c.distinct && aggregated) throw new QueryPlanError("SELECT DISTINCT with aggregates is not supported over sys_invocation");
  // Shards group and compare under the collation; the merge, by exact value: 'A' of one shard and 'a' of another stayed two groups (queryadv).
  if ([...c.select, ...c.groupBy].some((t) => isKeyword(t, "collate"))) throw new QueryPlanError("COLLATE in the columns or GROUP BY of an aggregate or DISTINCT is not supported over sys_invocation: the shards' groups are merged by exact value (use lower(…) or upper(…))");
  const groups = splitTop(c.groupBy).map((g) => norm(q, g));
  // The merge tells groups apart by their selected keys: one not selected merged every shard's groups into one (queryadv).
  const unselected = groups.find((g) => !items.some((item) => !item.aggregate && item.expr === g));
  if (unselected !== undefined) throw new QueryPlanError(`GROUP BY '${unselected}' must also be selected (as written there) across index shards: their partial aggregates are merged by the selected group columns`);
  // SELECT DISTINCT: each shard's distinct rows, merged as group keys (every column one).
  const merge = items.map((item): Merge => {
    if (item.aggregate) return item.aggregate;
    if (c.distinct || groups.includes(item.expr)) return "key";
    throw new QueryPlanError(`'${item.expr}' is neither an aggregate (COUNT, SUM, TOTAL, MIN, MAX) nor in GROUP BY: across index shards every column must be one of the two`);
  });
  // A LIMIT in a FROM subquery (one without ORDER BY: sourceProblem) caps each source's rows, not the deployment's.
  const limits = subqueryLimits(q, c.from);
  // Capped only when FROM is that subquery alone: joined, the count is of its rows times the other table's (queryadv: 5, not 85).
  const alone = c.from.filter((t) => t.depth === c.from[0]!.depth).length <= 4;
  const count = alone && limits.length === 1 && groups.length === 0 && items.length === 1 && nameOf(items[0]!.tokens[0]) === "count";
  if (limits.length > 0 && !count) return limitedAggregate(q, c, reads, maxRows);
  const scan = aliasSubquery(q, c.tailStart === undefined ? query : query.slice(0, c.tailStart), c.from);
  return { kind: "aggregate", query, reads, scan, scanReads: indexReads(scan), ...(ids ? { ids } : {}), merge, order: orderPositions(q, c.orderBy, items), ...(limit !== undefined ? { limit } : {}), offset, ...(count ? { cap: limits[0] } : {}) };
}

/**
 * Whether the second pass over rows a source cut (at MAX_QUERY_ROWS + 1) still answers the first
 * rows of the true answer, marked `truncated`: each source sent its first rows in the query's
 * order (pushed down to a direct read), so the union holds the deployment's first ones. Not so
 * past an OFFSET (the rows after the first 1,001 of a shard are missing), for an aggregate over
 * the union (HAVING, ORDER BY count(*)), or for an order the sources did not scan in (a FROM
 * subquery's rows are not ordered): those answered other rows (queryadv), and are a 400 when cut.
 */
function rowsPrefix(c: Clauses, offset: number): boolean {
  return offset === 0 && c.having.length === 0 && !hasAggregate(c.orderBy) && (c.orderBy.length === 0 || directRead(c.from) >= 0);
}

/**
 * An aggregate over a FROM subquery with a LIMIT, other than a lone COUNT (whose merged count
 * capped at the LIMIT is the count of some LIMIT rows: Restate's CLI counts so): planned as
 * rows, the second pass aggregating every source's rows after the LIMIT once more, when no
 * source's rows can be cut; else a 400.
 */
function limitedAggregate(q: SqlText, c: Clauses, reads: number, maxRows: number): QueryPlan {
  const { scan, rows } = rowScan(q, c, undefined, maxRows + 1, maxRows);
  if (rows <= maxRows) return { kind: "rows", query: q.sql, reads, scan, scanReads: indexReads(scan), limit: rows, prefix: true };
  throw new QueryPlanError(
    `a LIMIT in a FROM subquery over sys_invocation takes its rows in each index shard apart, so an aggregate over them is combined only as one COUNT (capped at the LIMIT once more) ` +
      `or when that LIMIT is at most ${maxRows.toLocaleString("en")} and reads sys_invocation directly (the rows are combined first): lower the LIMIT, count alone, or aggregate without it`,
  );
}

/**
 * How many times the query reads sys_invocation (one), or a 400 when what each index shard
 * (or pinned owner) answers could not be combined into the deployment-wide answer: a second
 * read (a join, a subquery, a CTE named twice: each part would pair only its own rows), a
 * read outside FROM or NULL-filled by an outer join (sourceProblem), a window function, a
 * CTE that takes the index's name. (issue: `SELECT count(*) FROM
 * sys_invocation a, sys_invocation_status b` answered 102 for 20 invocations, not 400.)
 */
function splittable(q: SqlText, from: readonly Token[]): number {
  const shape = queryShape(q);
  const reads = indexReads("refused" in shape ? q : shape);
  if (reads > 1) {
    throw new QueryPlanError(
      `the query reads sys_invocation ${reads} times (a join, a subquery or a common table expression over it): the invocations are spread over index shards and owners, ` +
        "each of which sees only its own, so their answers cannot be combined into the deployment-wide one. Read sys_invocation once (filter with WHERE; COUNT, SUM, MIN, MAX with GROUP BY) " +
        "and combine several queries' answers in your client; for one object's own invocations, POST objects/{service}/{key}/query",
    );
  }
  if (!("refused" in shape) && [...shape.definitions].some((i) => INDEX_TABLES.has(nameOf(q.tokens[i]) ?? ""))) throw new QueryPlanError("a common table expression may not be named sys_invocation or sys_invocation_status: name it otherwise");
  // sys_invocation names the table only where a table is named (an alias of that name would read nothing of the index).
  const misnamed = q.tokens.some((t, i) => INDEX_TABLES.has(nameOf(t) ?? "") && isTableName(q.tokens, i) && !isKeyword(q.tokens[i - 1], "from") && !isKeyword(q.tokens[i - 1], "join") && !isPunct(q.tokens[i - 1], ","));
  if (misnamed) throw new QueryPlanError("sys_invocation and sys_invocation_status name the index's table only after FROM, JOIN or a comma there: do not use them as an alias");
  const problem = sourceProblem(q.tokens, from);
  if (problem) throw new QueryPlanError(problem);
  if (hasWindow(q.tokens)) throw new QueryPlanError("window functions (… OVER (…)) over sys_invocation would be computed in each index shard apart: select the rows (or COUNT, SUM, MIN, MAX with GROUP BY) and compute it in your client");
  return reads;
}

/**
 * `id = '…'` or `id IN ('…', …)` as a top-level conjunct of WHERE: the ids the answer can only
 * contain. A qualified id must be sys_invocation's (`source`: its alias or name): `d.id` of a
 * joined sys_deployment pinned no owner and answered nothing (queryadv).
 */
function pinnedIds(q: SqlText, where: Token[], source: string): string[] | undefined {
  return conjunctValues(q, where, new Set([source]))?.get("id");
}

function selectItem(q: SqlText, tokens: Token[]): SelectItem {
  let body = tokens;
  let alias: string | undefined;
  const last = tokens.at(-1);
  if (tokens.length >= 3 && isKeyword(tokens.at(-2), "as") && last?.kind === "name") {
    body = tokens.slice(0, -2);
    alias = last.text;
  } else if (tokens.length >= 2 && last?.kind === "name" && isPunct(tokens.at(-2), ")")) {
    body = tokens.slice(0, -1);
    alias = last.text;
  }
  const named = { expr: norm(q, body), tokens: body, ...(alias ? { alias } : {}) };
  const aggregate = mergeOf(body);
  if (aggregate) return { ...named, aggregate };
  if (hasAggregate(body)) {
    throw new QueryPlanError(`'${named.expr}' computes with an aggregate: across index shards each COUNT, SUM, TOTAL, MIN or MAX must be a column of its own, merged as it is; compute with the merged columns in your client`);
  }
  return named;
}

/** How the aggregate call `body` (the whole item) merges across shards; undefined when it is no aggregate call. */
function mergeOf(body: Token[]): Merge | undefined {
  const fn = nameOf(body[0]);
  const isCall = body.length >= 3 && isPunct(body.at(-1), ")") && body.slice(2, -1).every((t) => t.depth > body[0]!.depth);
  if (!fn || !isCall || !isAggregateAt(body, 0)) return undefined;
  const aggregate = AGGREGATES.get(fn);
  if (!aggregate) throw new QueryPlanError(`${fn.toUpperCase()}() cannot be combined across index shards: select COUNT, SUM, TOTAL, MIN or MAX as columns (SUM(…) and COUNT(…) for an average) and compute the rest in your client`);
  if (isKeyword(body[2], "distinct")) throw new QueryPlanError(`${fn.toUpperCase()}(DISTINCT …) cannot be combined across index shards`);
  return aggregate;
}

/** ORDER BY of an aggregate: each term as a column position of the merged rows. */
function orderPositions(q: SqlText, orderBy: Token[], items: SelectItem[]): { column: number; desc: boolean }[] {
  return splitTop(orderBy).map((term) => {
    const last = term.at(-1);
    const desc = isKeyword(last, "desc");
    const body = desc || isKeyword(last, "asc") ? term.slice(0, -1) : term;
    const expr = norm(q, body);
    const position = /^\d+$/.test(expr) ? Number(expr) - 1 : items.findIndex((it) => it.expr === expr || it.alias === expr);
    if (position < 0 || position >= items.length) throw new QueryPlanError(`ORDER BY '${expr}' must name a selected column (by its expression, alias or position) when aggregating across index shards`);
    return { column: position, desc };
  });
}

const norm = (q: SqlText, tokens: Token[]) => tokens.map((t) => tokenText(q, t).toLowerCase()).join(" ");
