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
 * Anything else is a 400 that says why. Pure: text in, plan out.
 */
import { invocationOwner } from "../engine/ids.js";

export class QueryPlanError extends Error {}

export type Merge = "key" | "sum" | "min" | "max";

export type QueryPlan =
  | { kind: "object"; query: string; owner?: string; service?: string; key?: string }
  | { kind: "static"; query: string }
  | { kind: "rows"; query: string; scan: string; ids?: string[]; limit: number }
  | { kind: "aggregate"; query: string; scan: string; ids?: string[]; merge: Merge[]; order: { column: number; desc: boolean }[]; limit?: number; offset: number };

const OBJECT_TABLES = new Set(["state", "sys_journal", "sys_promise", "sys_inbox", "sys_keyed_service_status"]);
const INDEX_TABLES = new Set(["sys_invocation", "sys_invocation_status"]);
const STATIC_TABLES = new Set(["sys_deployment", "sys_service", "information_schema_columns"]);
const AGGREGATES: Record<string, Merge> = { count: "sum", sum: "sum", total: "sum", min: "min", max: "max" };
const NOT_MERGEABLE = new Set(["avg", "group_concat", "string_agg", "json_group_array", "json_group_object"]);

interface Token {
  text: string;
  /** Lower-case word, or the token itself. */
  word: string;
  kind: "word" | "string" | "other";
  depth: number;
  start: number;
  end: number;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  const re = /\s+|--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d+)?|<>|!=|<=|>=|\|\||->>|->|./gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(sql))) {
    const text = m[0];
    if (/^\s|^--|^\/\*/.test(text)) continue;
    if (text === ")") depth--;
    const quotedIdent = /^["`[]/.test(text);
    const kind = text.startsWith("'") ? "string" : /^[A-Za-z_]/.test(text) || quotedIdent ? "word" : "other";
    const word = kind === "word" ? (quotedIdent ? text.slice(1, -1) : text).toLowerCase() : text;
    tokens.push({ text, word, kind, depth, start: m.index, end: m.index + text.length });
    if (text === "(") depth++;
  }
  return tokens;
}

const literal = (t: Token | undefined) => (t?.kind === "string" ? t.text.slice(1, -1).replace(/''/g, "'") : undefined);

/** Plans `query` (already checked by sql-views' queryProblem: one SELECT). */
export function planQuery(query: string, maxRows: number): QueryPlan {
  const rewritten = rewriteSchemaNames(query);
  const tokens = tokenize(rewritten);
  const tables = new Set(tokens.filter((t, i) => t.kind === "word" && tokens[i - 1]?.text !== "." && tokens[i + 1]?.text !== "(").map((t) => t.word));
  const has = (set: Set<string>) => [...set].some((t) => tables.has(t));
  if (has(OBJECT_TABLES)) return { kind: "object", query: rewritten, ...objectTarget(tokens) };
  if (!has(INDEX_TABLES)) {
    if (!has(STATIC_TABLES)) throw new QueryPlanError(`the query reads no table Resolute knows: use sys_invocation, sys_invocation_status, sys_journal, state, sys_promise, sys_inbox, sys_keyed_service_status, sys_service or sys_deployment`);
    return { kind: "static", query: rewritten };
  }
  return planIndexQuery(rewritten, tokens, maxRows);
}

/**
 * DataFusion's spellings in SQLite's: `information_schema.columns` becomes the static view's
 * name (SQLite has no schemas), and the column `index` (sys_journal's) is quoted, as `index`
 * is an SQLite keyword.
 */
function rewriteSchemaNames(query: string): string {
  let out = "";
  let at = 0;
  for (const t of tokenize(query)) {
    if (t.text.toLowerCase() !== "index") continue;
    out += `${query.slice(at, t.start)}"index"`;
    at = t.end;
  }
  return (out + query.slice(at))
    .replace(/\binformation_schema\s*\.\s*columns\b/gi, "information_schema_columns")
    .replace(/\btarget\s+LIKE\s+'([^'\/]+)\/%'/gi, (match, arg: string) => (invocationOwner(arg) ? `id = '${arg}'` : match));
}

/**
 * Restate's CLI, given an id it cannot parse (Resolute's ids carry their owner, not Restate's
 * partition key), takes it for a service name and asks for `target LIKE '<id>/%'`. No service
 * is named like an invocation id, so that filter means the invocation itself: the rewrite
 * above lets `restate invocations cancel|kill|purge <id>` find it.
 */

/** The one object a per-object query names: by invocation id, or by service name and key. */
function objectTarget(tokens: Token[]): { owner: string } | { service: string; key: string } {
  const owners = new Set(tokens.map((t) => literal(t)).filter((s): s is string => s !== undefined).map((s) => invocationOwner(s)).filter((o): o is string => o !== undefined));
  if (owners.size === 1) return { owner: [...owners][0]! };
  if (owners.size > 1) throw new QueryPlanError("the query names invocations of several objects: state, journals, promises and inboxes are read one object at a time");
  const valueOf = (column: string) => {
    const i = tokens.findIndex((t, j) => t.word === column && tokens[j + 1]?.text === "=" && tokens[j + 2]?.kind === "string");
    return i < 0 ? undefined : literal(tokens[i + 2]);
  };
  const service = valueOf("service_name");
  const key = valueOf("service_key");
  if (service !== undefined && key !== undefined) return { service, key };
  throw new QueryPlanError(
    "state, sys_journal, sys_promise, sys_inbox and sys_keyed_service_status live in each object's own storage, which cannot be scanned " +
      "across the deployment: name one object with service_name = '…' AND service_key = '…' (or one invocation with id = 'inv_…')",
  );
}

interface Clauses {
  select: Token[];
  distinct: boolean;
  from: Token[];
  where: Token[];
  groupBy: Token[];
  having: Token[];
  orderBy: Token[];
  limit: Token[];
  offset: Token[];
  /** Where ORDER BY / LIMIT / OFFSET begin (the end of what an aggregate's shards run). */
  tailStart?: number;
}

function planIndexQuery(query: string, tokens: Token[], maxRows: number): QueryPlan {
  const top = tokens.filter((t) => t.depth === 0);
  if (top[0]?.word !== "select") throw new QueryPlanError("across the deployment a query is one SELECT (no WITH, no VALUES): name sys_invocation in its FROM clause");
  if (top.some((t) => ["union", "intersect", "except"].includes(t.word))) throw new QueryPlanError("UNION, INTERSECT and EXCEPT are not supported over sys_invocation: run each SELECT on its own");
  const c = clauses(tokens);
  const ids = pinnedIds(c.where);
  const items = splitTop(c.select).map(selectItem);
  const aggregated = c.groupBy.length > 0 || items.some((i) => i.aggregate !== undefined);
  const limit = integer(c.limit, "LIMIT");
  const offset = integer(c.offset, "OFFSET") ?? 0;
  if (!aggregated) {
    const source = sourceAlias(c.from);
    const order = c.orderBy.length && limit !== undefined ? ` ORDER BY ${expandAliases(c.orderBy, items, query)}` : "";
    const rows = Math.min(limit === undefined ? maxRows + 1 : limit + offset, maxRows + 1);
    const where = c.where.length ? ` WHERE ${text(query, c.where)}` : "";
    return { kind: "rows", query, scan: `SELECT ${source}.* FROM ${text(query, c.from)}${where}${order} LIMIT ${rows}`, ...(ids ? { ids } : {}), limit: rows };
  }
  if (c.having.length) throw new QueryPlanError("HAVING is not supported over sys_invocation (each shard would filter its partial counts): filter the rows with WHERE");
  if (c.distinct) throw new QueryPlanError("SELECT DISTINCT with aggregates is not supported over sys_invocation");
  const groups = splitTop(c.groupBy).map((g) => norm(g));
  const merge = items.map((item): Merge => {
    if (item.aggregate) return item.aggregate;
    if (groups.includes(item.expr)) return "key";
    throw new QueryPlanError(`'${item.expr}' is neither an aggregate (COUNT, SUM, TOTAL, MIN, MAX) nor in GROUP BY: across index shards every column must be one of the two`);
  });
  const scan = aliasSubquery(c.tailStart === undefined ? query : query.slice(0, c.tailStart), c.from);
  return { kind: "aggregate", query, scan, ...(ids ? { ids } : {}), merge, order: orderPositions(c.orderBy, items), ...(limit !== undefined ? { limit } : {}), offset };
}

function clauses(tokens: Token[]): Clauses {
  const c: Clauses = { select: [], distinct: false, from: [], where: [], groupBy: [], having: [], orderBy: [], limit: [], offset: [] };
  let current: Token[] = c.select;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.depth === 0 && t.kind === "word") {
      if (current === c.select && current.length === 0 && (t.word === "distinct" || t.word === "all")) {
        c.distinct = t.word === "distinct";
        continue;
      }
      const clause = t.word === "from" ? c.from : t.word === "where" ? c.where : t.word === "having" ? c.having : t.word === "limit" ? c.limit : t.word === "offset" ? c.offset : undefined;
      if (clause && (clause !== c.from || current === c.select)) {
        if (clause === c.limit || clause === c.offset) c.tailStart ??= t.start;
        current = clause;
        continue;
      }
      if ((t.word === "group" || t.word === "order") && next?.word === "by") {
        if (t.word === "order") c.tailStart ??= t.start;
        current = t.word === "group" ? c.groupBy : c.orderBy;
        i++;
        continue;
      }
      if (t.word === "window") throw new QueryPlanError("WINDOW clauses are not supported over sys_invocation");
    }
    if (t.depth === 0 && t.text === "," && current === c.limit) {
      // LIMIT offset, count
      c.offset = c.limit;
      c.limit = [];
      current = c.limit;
      continue;
    }
    current.push(t);
  }
  return c;
}

/** `id = '…'` or `id IN ('…', …)` as a top-level conjunct of WHERE: the ids the answer can only contain. */
function pinnedIds(where: Token[]): string[] | undefined {
  const conjuncts = splitTop(where, "and");
  for (const part of conjuncts) {
    const p = part;
    let i = 0;
    if (p[1]?.text === ".") i = 2;
    if (p[i]?.word !== "id") continue;
    const op = p[i + 1];
    if (op?.text === "=" && p.length === i + 3 && p[i + 2]?.kind === "string") return [literal(p[i + 2])!];
    if (op?.word === "in" && p[i + 2]?.text === "(" && p.at(-1)?.text === ")") {
      const inner = p.slice(i + 3, -1);
      const values = inner.filter((_, j) => j % 2 === 0);
      if (values.every((v) => v.kind === "string") && inner.filter((_, j) => j % 2 === 1).every((s) => s.text === ",")) return values.map((v) => literal(v)!);
    }
  }
  return undefined;
}

interface SelectItem {
  expr: string;
  alias?: string;
  aggregate?: Merge;
  tokens: Token[];
}

function selectItem(tokens: Token[]): SelectItem {
  let body = tokens;
  let alias: string | undefined;
  const last = tokens.at(-1);
  if (tokens.length >= 3 && tokens.at(-2)?.word === "as" && last?.kind === "word") {
    body = tokens.slice(0, -2);
    alias = last.word;
  } else if (tokens.length >= 2 && last?.kind === "word" && tokens.at(-2)?.text === ")") {
    body = tokens.slice(0, -1);
    alias = last.word;
  }
  const expr = body.map((t) => t.text.toLowerCase()).join(" ");
  const fn = body[0]?.word;
  const isCall = body.length >= 3 && body[1]?.text === "(" && body.at(-1)?.text === ")" && body.slice(2, -1).every((t) => t.depth > body[0]!.depth);
  if (fn && NOT_MERGEABLE.has(fn) && isCall) throw new QueryPlanError(`${fn.toUpperCase()}() cannot be combined across index shards: use SUM(…) and COUNT(…) and divide`);
  if (fn && AGGREGATES[fn] && isCall) {
    const args = body.slice(2, -1);
    if (args[0]?.word === "distinct") throw new QueryPlanError(`${fn.toUpperCase()}(DISTINCT …) cannot be combined across index shards`);
    if ((fn === "min" || fn === "max") && args.some((t) => t.text === "," && t.depth === body[0]!.depth + 1)) return { expr, tokens: body, ...(alias ? { alias } : {}) };
    return { expr, tokens: body, aggregate: AGGREGATES[fn]!, ...(alias ? { alias } : {}) };
  }
  return { expr, tokens: body, ...(alias ? { alias } : {}) };
}

/**
 * DataFusion lets an outer query name the alias used inside an unaliased FROM subquery
 * (Restate's CLI counts with `FROM (SELECT * FROM sys_invocation inv LIMIT n) WHERE
 * inv.target_service_name …`); SQLite does not, so the subquery gets that alias.
 */
function aliasSubquery(query: string, from: Token[]): string {
  const close = from.at(-1);
  if (from[0]?.text !== "(" || close?.text !== ")" || close.depth !== from[0].depth) return query;
  const inner = from.slice(1, -1);
  const i = inner.findIndex((t) => INDEX_TABLES.has(t.word));
  const alias = inner[i + 1]?.word === "as" ? inner[i + 2] : inner[i + 1];
  if (i < 0 || alias?.kind !== "word" || ["limit", "where", "order", "group"].includes(alias.word)) return query;
  return `${query.slice(0, close.end)} AS ${alias.text}${query.slice(close.end)}`;
}

/** The alias (or name) under which FROM reads sys_invocation, for `SELECT <alias>.*`. */
function sourceAlias(from: Token[]): string {
  const i = from.findIndex((t) => t.depth === from[0]?.depth && INDEX_TABLES.has(t.word));
  if (i < 0) throw new QueryPlanError("across the deployment sys_invocation must be read directly in FROM (not inside a subquery)");
  const next = from[i + 1];
  const alias = next?.word === "as" ? from[i + 2] : next;
  const keywords = new Set(["left", "right", "inner", "outer", "cross", "join", "natural", "on", "using", "where"]);
  return alias?.kind === "word" && !keywords.has(alias.word) ? alias.text : from[i]!.text;
}

/** ORDER BY for the pushed-down scan: a term naming a select alias becomes that item's expression. */
function expandAliases(orderBy: Token[], items: SelectItem[], query: string): string {
  return splitTop(orderBy)
    .map((term) => {
      const item = items.find((it) => it.alias !== undefined && term[0]?.word === it.alias);
      return item ? `${text(query, item.tokens)} ${text(query, term.slice(1))}` : text(query, term);
    })
    .join(", ");
}

/** ORDER BY of an aggregate: each term as a column position of the merged rows. */
function orderPositions(orderBy: Token[], items: SelectItem[]): { column: number; desc: boolean }[] {
  return splitTop(orderBy).map((term) => {
    let body = term;
    const last = term.at(-1)?.word;
    const desc = last === "desc";
    if (last === "desc" || last === "asc") body = term.slice(0, -1);
    const expr = norm(body);
    const position = /^\d+$/.test(expr) ? Number(expr) - 1 : items.findIndex((it) => it.expr === expr || it.alias === expr);
    if (position < 0 || position >= items.length) throw new QueryPlanError(`ORDER BY '${expr}' must name a selected column (by its expression, alias or position) when aggregating across index shards`);
    return { column: position, desc };
  });
}

function integer(tokens: Token[], clause: string): number | undefined {
  if (tokens.length === 0) return undefined;
  if (tokens.length !== 1 || !/^\d+$/.test(tokens[0]!.text)) throw new QueryPlanError(`${clause} must be a whole number over sys_invocation`);
  return Number(tokens[0]!.text);
}

/** Splits at top-level commas (or the given keyword). */
function splitTop(tokens: Token[], separator = ","): Token[][] {
  if (tokens.length === 0) return [];
  const depth = tokens[0]!.depth;
  const parts: Token[][] = [[]];
  for (const t of tokens) {
    if (t.depth === depth && (t.text === separator || t.word === separator)) parts.push([]);
    else parts.at(-1)!.push(t);
  }
  return parts.filter((p) => p.length > 0);
}

const text = (query: string, tokens: Token[]) => (tokens.length ? query.slice(tokens[0]!.start, tokens.at(-1)!.end) : "");
const norm = (tokens: Token[]) => tokens.map((t) => t.text.toLowerCase()).join(" ");
