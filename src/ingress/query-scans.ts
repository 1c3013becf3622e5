/**
 * What each source (an index shard, or an owner the query pins) runs for a planned
 * `POST /query` (query-plan.ts): the scan of a row query, with its order and cut pushed
 * down where they can be, and how a FROM subquery over sys_invocation is read (its alias,
 * its LIMIT). Pure: tokens in, SQL text out.
 */
import { closingParen, isKeyword, isPunct, tokenText, type SqlText, type SqlToken as Token } from "../durable/sql-text.js";
import { INDEX_TABLES } from "../durable/index-shard.js";
import { SYS_INVOCATION_NAMES } from "../durable/index-row.js";
import { clauses, nameOf, QueryPlanError, splitTop, type Clauses, type Merge } from "./query-clauses.js";

/** The LIMITs of the subqueries in FROM through which the query reads sys_invocation, outermost first. */
export function subqueryLimits(q: SqlText, from: Token[]): number[] {
  const limits: number[] = [];
  for (let inner = subqueryRead(from); inner; ) {
    const own = clauses(inner);
    const limit = integer(q, own.limit, "LIMIT");
    if (limit !== undefined) limits.push(limit);
    inner = subqueryRead(own.from);
  }
  return limits;
}

export interface SelectItem {
  expr: string;
  alias?: string;
  aggregate?: Merge;
  tokens: Token[];
}

/**
 * DataFusion lets an outer query name the alias used inside an unaliased FROM subquery
 * (Restate's CLI counts with `FROM (SELECT * FROM sys_invocation inv LIMIT n) WHERE
 * inv.target_service_name …`); SQLite does not, so the subquery gets that alias.
 */
export function aliasSubquery(q: SqlText, query: string, from: Token[]): string {
  const close = from.at(-1);
  if (!isPunct(from[0], "(") || !isPunct(close, ")") || close!.depth !== from[0]!.depth) return query;
  const inner = from.slice(1, -1);
  const i = inner.findIndex((t) => INDEX_TABLES.has(nameOf(t) ?? ""));
  const alias = isKeyword(inner[i + 1], "as") ? inner[i + 2] : inner[i + 1];
  if (i < 0 || alias?.kind !== "name" || ["limit", "where", "order", "group"].includes(alias.text)) return query;
  return `${query.slice(0, close!.end)} AS ${tokenText(q, alias)}${query.slice(close!.end)}`;
}

const NOT_ALIASES = new Set(["left", "right", "inner", "outer", "cross", "join", "natural", "on", "using", "where"]);

/** Where the FROM clause `from` reads sys_invocation itself (not in a subquery); -1 if it does not. */
export const directRead = (from: Token[]): number => from.findIndex((t) => t.depth === from[0]?.depth && INDEX_TABLES.has(nameOf(t) ?? ""));

/**
 * What each source of a row query runs: the sys_invocation rows the query can use, which the
 * second pass reads as sys_invocation. Read directly in FROM: its WHERE and ORDER BY pushed
 * down, cut at `rows`. Through a subquery in FROM (row by row: sourceProblem judged it), that
 * subquery's own rows, cut at its own LIMIT: the outer clauses run in the second pass, and
 * the subquery's LIMIT once more there, over every source's rows (not one cut per shard).
 */
export function rowScan(q: SqlText, c: Clauses, items: SelectItem[] | undefined, rows: number, maxRows: number): { scan: string; rows: number } {
  const inner = subqueryRead(c.from);
  if (inner) {
    const own = clauses(inner);
    const limit = integer(q, own.limit, "LIMIT");
    return rowScan(q, own, undefined, Math.min(limit ?? maxRows + 1, maxRows + 1), maxRows);
  }
  // Ordered on the shards too (with or without LIMIT): a cut answer then holds the first rows.
  const order = items && c.orderBy.length ? ` ORDER BY ${scanOrder(q, c, items)}` : "";
  const where = c.where.length ? ` WHERE ${withAliases(q, c, c.where, items)}` : "";
  // A join (`JOIN sys_service s ON s.ty = …`) lists an invocation once per row it pairs with: its
  // row is sent once (the second pass joins again), and the LIMIT counts invocations, not copies.
  const distinct = joins(c.from) ? "DISTINCT " : "";
  return { scan: `SELECT ${distinct}${sourceAlias(q, c.from)}.* FROM ${text(q, c.from)}${where}${order} LIMIT ${rows}`, rows };
}

/** Whether FROM pairs its read of sys_invocation with another table (a JOIN, or a comma at its own depth). */
const joins = (from: Token[]): boolean => from.some((t) => t.depth === from[0]!.depth && (isKeyword(t, "join") || isPunct(t, ",")));

/** The subquery of the FROM clause `from` that reads sys_invocation, when FROM does not read it directly. */
function subqueryRead(from: Token[]): Token[] | undefined {
  if (directRead(from) >= 0) return undefined;
  for (let i = 0; i < from.length; i++) {
    if (from[i]!.depth !== from[0]!.depth || !isPunct(from[i], "(")) continue;
    const close = closingParen(from, i);
    const inner = from.slice(i + 1, close);
    if (inner.some((t) => INDEX_TABLES.has(nameOf(t) ?? ""))) return inner;
    i = close;
  }
  return undefined;
}

/** The alias (or name) under which FROM reads sys_invocation directly, for `SELECT <alias>.*`. */
function sourceAlias(q: SqlText, from: Token[]): string {
  return tokenText(q, sourceToken(from));
}

/** The token naming the direct read of sys_invocation in `from` (its alias, else the table): what qualifies its columns. */
export function sourceToken(from: Token[]): Token {
  const i = directRead(from);
  const next = from[i + 1];
  const alias = isKeyword(next, "as") ? from[i + 2] : next;
  return alias?.kind === "name" && !NOT_ALIASES.has(alias.text) ? alias : from[i]!;
}

/** Words that may follow a whole ORDER BY term (`k DESC`, `k COLLATE NOCASE`, `k NULLS LAST`). */
const TERM_ENDS = new Set(["asc", "desc", "collate", "nulls"]);

/**
 * ORDER BY for the pushed-down scan (`SELECT <alias>.*`): a term that is a select alias or a
 * position becomes that item's expression (a position in the scan would name a column of `*`);
 * aliases inside a term, as withAliases.
 */
function scanOrder(q: SqlText, c: Clauses, items: SelectItem[]): string {
  return splitTop(c.orderBy)
    .map((term) => {
      const digits = term[0]?.kind === "literal" ? tokenText(q, term[0]) : "";
      // SQLite reads a term that is only a name as the alias first (`ORDER BY status` of `key AS status`).
      const whole = term.length === 1 || TERM_ENDS.has(nameOf(term[1]) ?? "");
      const item = /^\d+$/.test(digits) ? items[Number(digits) - 1] : whole ? items.find((it) => it.alias !== undefined && nameOf(term[0]) === it.alias) : undefined;
      if (/^\d+$/.test(digits) && (item === undefined || item.expr.endsWith("*"))) {
        throw new QueryPlanError(`ORDER BY ${digits} must name one selected column, not a position in '*', across index shards: order by the column's name`);
      }
      return item ? `${text(q, item.tokens)} ${text(q, term.slice(1))}` : withAliases(q, c, term, items);
    })
    .join(", ");
}

/**
 * `tokens` (of WHERE, or an ORDER BY expression) as the scan runs them, where the select list is
 * `<alias>.*`: SQLite lets them name a select alias that is no column (`WHERE k LIKE …` of `key
 * AS k`), which becomes the item's expression. Only over sys_invocation alone, whose columns are
 * known: a column of that name is the column, as SQLite reads it (over a join, a 400). (queryadv: `ORDER BY lower(k)`
 * was a 400 "no such column", and `ORDER BY status || ''` of `key AS status` ordered the shards
 * by the key, not the status, so a LIMIT kept other rows.)
 */
function withAliases(q: SqlText, c: Clauses, tokens: Token[], items: SelectItem[] | undefined): string {
  const alone = c.from.filter((t) => t.depth === c.from[0]!.depth).length <= 3;
  const edits: { at: Token; text: string }[] = [];
  for (let j = 0; items && j < tokens.length; j++) {
    // A subquery's names are its own.
    if (isPunct(tokens[j], "(") && (isKeyword(tokens[j + 1], "select") || isKeyword(tokens[j + 1], "with"))) j = closingParen(tokens, j);
    const name = nameOf(tokens[j]);
    if (name === undefined || isPunct(tokens[j - 1], ".") || isPunct(tokens[j + 1], ".") || isPunct(tokens[j + 1], "(") || SYS_INVOCATION_NAMES.includes(name)) continue;
    const item = items.find((it) => it.alias === name && !it.aggregate);
    if (item && !alone) {
      throw new QueryPlanError(`across index shards, the select alias '${name}' cannot be read inside an expression of WHERE or ORDER BY over a join (a joined table may have a column of that name): write the expression it stands for`);
    }
    if (item) edits.push({ at: tokens[j]!, text: `(${text(q, item.tokens)})` });
  }
  let out = "";
  let from = tokens[0]?.start ?? 0;
  for (const edit of edits) {
    out += q.sql.slice(from, edit.at.start) + edit.text;
    from = edit.at.end;
  }
  return out + q.sql.slice(from, tokens.at(-1)?.end ?? from);
}

export function integer(q: SqlText, tokens: Token[], clause: string): number | undefined {
  if (tokens.length === 0) return undefined;
  const digits = tokens.length === 1 ? tokenText(q, tokens[0]!) : "";
  if (!/^\d+$/.test(digits)) throw new QueryPlanError(`${clause} must be a whole number over sys_invocation`);
  return Number(digits);
}

export const text = (q: SqlText, tokens: Token[]) => (tokens.length ? q.sql.slice(tokens[0]!.start, tokens.at(-1)!.end) : "");
