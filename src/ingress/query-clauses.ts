/**
 * The clauses of a SELECT over sys_invocation, and whether its one read of the index can
 * be answered part by part: each index shard (or pinned owner) holds only some of the
 * invocations, so query-plan.ts splits a query only where what each part answers
 * combines into the deployment-wide answer. Pure: tokens in, clauses or reasons out.
 */
import { closingParen, isKeyword, isPunct, isTableName, stringValue, type SqlText, type SqlToken as Token } from "../durable/sql-text.js";
import { INDEX_TABLES } from "../durable/index-shard.js";

export class QueryPlanError extends Error {}

/** A name (table, column, function, alias), lower-cased, quoted or not; undefined for other tokens. */
export const nameOf = (t: Token | undefined): string | undefined => (t?.kind === "name" ? t.text : undefined);

export interface Clauses {
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

/** The clauses of the SELECT `tokens` (tokens[0] is its SELECT; a subquery's tokens work too). */
export function clauses(tokens: readonly Token[]): Clauses {
  const c: Clauses = { select: [], distinct: false, from: [], where: [], groupBy: [], having: [], orderBy: [], limit: [], offset: [] };
  const base = tokens[0]?.depth ?? 0;
  let current: Token[] = c.select;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.depth === base && t.kind === "name" && !t.quoted) {
      if (current === c.select && current.length === 0 && (t.text === "distinct" || t.text === "all")) {
        c.distinct = t.text === "distinct";
        continue;
      }
      const clause = t.text === "from" ? c.from : t.text === "where" ? c.where : t.text === "having" ? c.having : t.text === "limit" ? c.limit : t.text === "offset" ? c.offset : undefined;
      if (clause && (clause !== c.from || current === c.select)) {
        if (clause === c.limit || clause === c.offset) c.tailStart ??= t.start;
        current = clause;
        continue;
      }
      if ((t.text === "group" || t.text === "order") && isKeyword(next, "by")) {
        if (t.text === "order") c.tailStart ??= t.start;
        current = t.text === "group" ? c.groupBy : c.orderBy;
        i++;
        continue;
      }
      if (t.text === "window") throw new QueryPlanError("WINDOW clauses are not supported over sys_invocation");
    }
    if (t.depth === base && isPunct(t, ",") && current === c.limit) {
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

/** Keywords that end a FROM clause (at its depth): a comma after them separates no tables. */
const FROM_ENDS = new Set(["select", "values", "where", "group", "having", "order", "limit", "window", "union", "intersect", "except", "returning"]);

/**
 * The tables (views, common table expressions) `tokens` name, wherever SQLite reads one: after
 * FROM, JOIN, a comma of a FROM clause, or IN (`x IN t`); `schema.t` when qualified. A
 * subquery, VALUES or a table-valued function (`json_each(…)`) there is no name.
 */
export function tableReferences(tokens: readonly Token[]): string[] {
  return tableReferencesAt(tokens).map((i) => (isPunct(tokens[i + 1], ".") ? `${nameOf(tokens[i])}.${nameOf(tokens[i + 2]) ?? ""}` : nameOf(tokens[i])!));
}

/** Where tableReferences' names are (the index of each name, a qualified one's schema). */
export function tableReferencesAt(tokens: readonly Token[]): number[] {
  const names: number[] = [];
  const inFrom: boolean[] = [];
  // Tokens after which a FROM item begins; a parenthesis there holds a join clause (`FROM (t1 JOIN t2)`,
  // `JOIN (t)`: queryadv, a raw table read so went unseen) or a subquery, and begins one itself.
  const item: boolean[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const paren = isPunct(t, "(") && item[i - 1] === true && !isKeyword(tokens[i - 1], "in");
    if (isPunct(t, "(")) inFrom[t.depth + 1] = paren;
    if (t.kind === "name" && !t.quoted && FROM_ENDS.has(t.text)) inFrom[t.depth] = false;
    // `a IS [NOT] DISTINCT FROM b` compares: b is a value.
    const from = isKeyword(t, "from") && !isKeyword(tokens[i - 1], "distinct");
    if (from) inFrom[t.depth] = true;
    item[i] = from || paren || isKeyword(t, "join") || isKeyword(t, "in") || (isPunct(t, ",") && inFrom[t.depth] === true);
    if (!item[i]) continue;
    const name = tokens[i + 1];
    if (name?.kind !== "name" || isPunct(tokens[i + 2], "(") || (paren && (isKeyword(name, "select") || isKeyword(name, "with") || isKeyword(name, "values")))) continue;
    names.push(i + 1);
  }
  return names;
}

/**
 * The values the top-level conjuncts of WHERE give columns (`col = '…'`, `col IN ('…', …)`,
 * a qualified column only when `sources` holds its qualifier), by column: what the rows
 * read can only hold. Undefined when WHERE has a top-level OR (AND binds tighter: in
 * `id = 'a' AND x OR y` the id holds for one side only).
 */
export function conjunctValues(q: SqlText, where: Token[], sources: ReadonlySet<string>): Map<string, string[]> | undefined {
  const values = new Map<string, string[]>();
  if (where.some((t) => t.depth === where[0]!.depth && isKeyword(t, "or"))) return undefined;
  for (const p of splitTop(where, "and")) {
    const i = isPunct(p[1], ".") ? 2 : 0;
    const column = nameOf(p[i]);
    if (column === undefined || (i === 2 && !sources.has(nameOf(p[0]) ?? ""))) continue;
    const op = p[i + 1];
    const only = stringValue(q, p[i + 2]);
    let found: string[] | undefined;
    if (isPunct(op, "=") && p.length === i + 3 && only !== undefined) found = [only];
    if (isKeyword(op, "in") && isPunct(p[i + 2], "(") && isPunct(p.at(-1), ")")) {
      const inner = p.slice(i + 3, -1);
      const listed = inner.filter((_, j) => j % 2 === 0).map((v) => stringValue(q, v));
      const commas = inner.filter((_, j) => j % 2 === 1).every((t) => isPunct(t, ","));
      if (commas && listed.every((v) => v !== undefined)) found = listed as string[];
    }
    // The first conjunct naming a column holds already (a second one only narrows the rows).
    if (found && !values.has(column)) values.set(column, found);
  }
  return values;
}

/** Splits at top-level commas (or the given keyword). */
export function splitTop(tokens: Token[], separator = ","): Token[][] {
  if (tokens.length === 0) return [];
  const depth = tokens[0]!.depth;
  const parts: Token[][] = [[]];
  for (const t of tokens) {
    if (t.depth === depth && (isPunct(t, separator) || isKeyword(t, separator))) parts.push([]);
    else parts.at(-1)!.push(t);
  }
  return parts.filter((p) => p.length > 0);
}

/** How a column merges across index shards: a group key, or an aggregate's partial results combined. */
export type Merge = "key" | "sum" | "min" | "max";

/**
 * SQLite's built-in aggregate functions, each with how its partial results (one per index
 * shard) merge into the deployment-wide one; null: they cannot be (an average of averages).
 */
export const AGGREGATES: ReadonlyMap<string, Exclude<Merge, "key"> | null> = new Map([
  ["count", "sum"], ["sum", "sum"], ["total", "sum"], ["min", "min"], ["max", "max"],
  ["avg", null], ["group_concat", null], ["string_agg", null], ["json_group_array", null], ["json_group_object", null], ["jsonb_group_array", null], ["jsonb_group_object", null],
] as const);

/** Whether token `i` begins an aggregate call (`count(`…); min and max of several arguments are scalar functions. */
export function isAggregateAt(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  if (t?.kind !== "name" || !AGGREGATES.has(t.text) || !isPunct(tokens[i + 1], "(")) return false;
  if (t.text !== "min" && t.text !== "max") return true;
  return !tokens.slice(i + 2, closingParen(tokens, i + 1)).some((a) => isPunct(a, ",") && a.depth === t.depth + 1);
}

/** The tokens outside any parenthesized subquery: what this query computes, not what a query it holds does. */
function ownTokens(tokens: readonly Token[]): Token[] {
  const own: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (isPunct(tokens[i], "(") && (isKeyword(tokens[i + 1], "select") || isKeyword(tokens[i + 1], "with"))) i = closingParen(tokens, i);
    else own.push(tokens[i]!);
  }
  return own;
}

/** Whether `tokens` call an aggregate function themselves (not in a subquery). */
export function hasAggregate(tokens: readonly Token[]): boolean {
  const own = ownTokens(tokens);
  return own.some((_, i) => isAggregateAt(own, i));
}

/** Whether `tokens` hold a window function themselves (`… OVER (…)`, not in a subquery). */
export const hasWindow = (tokens: readonly Token[]): boolean => ownTokens(tokens).some((t) => isKeyword(t, "over"));

const OUTSIDE_FROM =
  "across index shards sys_invocation must be read in FROM, directly or through a plain subquery there (FROM (SELECT … FROM sys_invocation …)): " +
  "read elsewhere (a subquery in SELECT, WHERE, ON, or a common table expression) each shard would answer over its own invocations only";
const NULL_FILLED =
  "sys_invocation on the side of an outer join that is filled with NULLs (… LEFT JOIN sys_invocation, RIGHT JOIN, FULL JOIN) cannot be combined across index shards: " +
  "each shard would add the rows it has no match for. Put sys_invocation first (FROM sys_invocation inv LEFT JOIN sys_deployment …), or query the other table on its own";
const NOT_ROW_WISE =
  "a subquery over sys_invocation in FROM that aggregates, deduplicates, uses a window, combines SELECTs or takes its first rows by an order (or with OFFSET) " +
  "would do so in each index shard apart: aggregate, filter and order in the outer query instead";

/**
 * Why the one read of sys_invocation in the SELECT `tokens` cannot be answered shard by shard
 * (undefined when it can): it must be a source of the FROM clause, directly or in subqueries
 * there that work row by row, and not on the side an outer join fills with NULLs. A LIMIT
 * without ORDER BY in such a subquery caps each shard's rows (Restate's CLI counts so), and the
 * merge applies it once more (query-plan.ts).
 */
export function sourceProblem(tokens: readonly Token[], from: readonly Token[] = clauses(tokens).from): string | undefined {
  const read = tokens.find((t, i) => INDEX_TABLES.has(nameOf(t) ?? "") && isTableName(tokens, i) && !isPunct(tokens[i - 1], "."));
  const at = read === undefined ? -1 : from.indexOf(read);
  if (at < 0) return OUTSIDE_FROM;
  // The FROM item holding the read: the table itself, or the parenthesis around it.
  const depth = from[0]!.depth;
  let item = at;
  while (from[item]!.depth !== depth) item--;
  if (nullFilled(from, item, depth)) return NULL_FILLED;
  if (item === at) return undefined;
  const inner = from.slice(item + 1, closingParen(from, item));
  if (!isKeyword(inner[0], "select")) return OUTSIDE_FROM;
  return rowWise(inner) ? sourceProblem(inner) : NOT_ROW_WISE;
}

/** Whether FROM item `item` may be filled with NULLs: after LEFT [OUTER] JOIN, or in a clause with a RIGHT or FULL join. */
function nullFilled(from: readonly Token[], item: number, depth: number): boolean {
  if (from.some((t) => t.depth === depth && (isKeyword(t, "right") || isKeyword(t, "full")))) return true;
  const before = from.slice(0, item).filter((t) => t.depth === depth);
  let j = before.length - 1;
  while (j >= 0 && !isKeyword(before[j], "join") && !isPunct(before[j], ",")) j--;
  if (j < 0 || !isKeyword(before[j], "join")) return false;
  const operator = isKeyword(before[j - 1], "outer") ? before[j - 2] : before[j - 1];
  return isKeyword(operator, "left");
}

/** Whether the subquery `select` answers row by row (each shard's rows are then a part of the whole answer). */
function rowWise(select: readonly Token[]): boolean {
  const c = clauses(select);
  const depth = select[0]!.depth;
  const compound = select.some((t) => t.depth === depth && (isKeyword(t, "union") || isKeyword(t, "intersect") || isKeyword(t, "except")));
  const firstRows = c.offset.length > 0 || (c.orderBy.length > 0 && c.limit.length > 0);
  return !c.distinct && !c.groupBy.length && !c.having.length && !compound && !firstRows && !hasAggregate(c.select) && !hasWindow(select);
}
