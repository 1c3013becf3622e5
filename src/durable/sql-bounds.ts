/**
 * Bounds on the admin's read-only SQL. A statement runs synchronously on the
 * object's thread and SQLite cannot be interrupted from JavaScript (locally,
 * workerd runs every object and the Worker on one thread), so one endless query
 * would stop everything. Hence, before a query runs:
 *
 * - what has no bound is refused: recursive common table expressions (with or
 *   without RECURSIVE: SQLite does not need the keyword), functions that make
 *   large values out of small arguments, and table-valued functions;
 * - the rest must fit MAX_QUERY_WORK, an upper bound of the rows it can visit:
 *   the product of the row counts of every table, view, common table expression
 *   and VALUES list it names (nested loops visit at most that many), weighted
 *   by its function calls and sorts, and squared by a window function;
 * - while it runs, the answer stops at MAX_QUERY_ROWS rows and MAX_QUERY_BYTES.
 *
 * Facts measured in workerd (2026-04-26): values are limited to 2,000,000 bytes
 * (SQLITE_TOOBIG), statements to 100 KB, printf widths to 100,000; randomblob,
 * zeroblob, printf, format, replace, json_each and pragma_* functions are allowed;
 * generate_series and sqlite_version are not. A 7-way nested loop visits 10^7
 * rows in 75 ms, but COUNT(DISTINCT …) over them takes 30 s (a sort costs ~400
 * row visits a row), so sorts weigh SORT_WEIGHT visits a row.
 */
import { closingParen, isKeyword, isPunct, isTableName, sqlText, type SqlText, type SqlToken } from "./sql-text.js";

/** Most rows one admin query answers with (the answer says when there were more). */
export const MAX_QUERY_ROWS = 1000;
/** Most bytes of values one admin query answers with (about: strings by length, blobs as base64). */
export const MAX_QUERY_BYTES = 4 * 1024 * 1024;
/** Most rows a query may be able to visit, as estimated before it runs. */
export const MAX_QUERY_WORK = 10_000_000;
/**
 * Deepest nesting of parentheses a query may have. Reasoning over a query's subqueries walks its
 * tokens once a level (the planner's splits, a subquery's clauses): 2,000 nested `(SELECT * FROM`
 * in 32 KB took the planner 17 s of the Worker's CPU (queryadv). SQLite parses 1,000 levels of an
 * expression at most; no query a person writes nests past a few dozen.
 */
export const MAX_QUERY_DEPTH = 100;
/** Row visits a sort (ORDER BY, GROUP BY, DISTINCT, UNION, IN (…)) costs per row, in the estimate. */
const SORT_WEIGHT = 100;

const REFUSED_FUNCTIONS: Record<string, string> = {
  randomblob: "it makes up to 2 MB per call out of one number",
  zeroblob: "it makes up to 2 MB per call out of one number",
  printf: "its widths make up to 100 KB per call out of a few characters",
  format: "its widths make up to 100 KB per call out of a few characters",
  replace: "it can multiply the length of its input",
  json_each: "it is a table-valued function: how many rows it makes is not known before it runs",
  json_tree: "it is a table-valued function: how many rows it makes is not known before it runs",
};

/**
 * Functions whose value can be twice as long as their input (hex; quote and json_quote of text
 * full of quotes): one of them is linear in its input, but nested, each level doubles it, so a
 * few dozen characters of SQL make a value of up to 2 MB from every row. (queryadv: 17 nested
 * hex() over a 10,000-key object's state kept workerd's one thread for 10 s.)
 */
const DOUBLING_FUNCTIONS = new Set(["hex", "quote", "json_quote"]);

/** Words that may stand before "(" without being a function call. */
const NOT_CALLS = new Set(["in", "values", "as", "exists", "over", "using", "on", "not", "and", "or", "from", "join", "select", "where", "filter", "materialized", "with", "when", "then", "else", "by", "is", "like", "glob", "between", "all", "union", "except", "intersect"]);

/** A refused query's reason, or the answer. */
export type QueryOutcome = QueryResult | { refused: string };

/** The answer to an admin query: at most MAX_QUERY_ROWS rows, in the query's column order. */
export interface QueryResult {
  columns: string[];
  rows: Record<string, SqlStorageValue>[];
  truncated: boolean;
}

interface Cte {
  name: string;
  start: number;
  end: number;
}

/** What a query's text says about its cost: refusal or the pieces the estimate needs. */
export interface QueryShape extends SqlText {
  ctes: Map<string, Cte>;
  /** Indices of the names that define a CTE (not references to it). */
  definitions: Set<number>;
  /** Where each CTE body starts → where it ends: a body counts through the references to its CTE. */
  bodies: Map<number, number>;
}

/** The query's shape (from its tokens, when it has been read already), or why it cannot be bounded (refused before it reaches the object). */
export function queryShape(query: string | SqlText): QueryShape | { refused: string } {
  if (typeof query !== "string" && "ctes" in query) return query as QueryShape; // read already
  const read = typeof query === "string" ? sqlText(query) : query;
  if ("error" in read) return { refused: `the query cannot be read: ${read.error}` };
  const { sql, tokens } = read;
  const depth = tokens.reduce((deepest, t) => Math.max(deepest, t.depth), 0);
  if (depth > MAX_QUERY_DEPTH) return { refused: `the query nests parentheses ${depth} deep, more than the ${MAX_QUERY_DEPTH} an admin query may: nest fewer subqueries and parentheses` };
  for (let i = 0; i < tokens.length; i++) {
    if (isKeyword(tokens[i], "recursive")) return { refused: recursive() };
    const t = tokens[i]!;
    if (t.kind !== "name" || !isPunct(tokens[i + 1], "(")) continue;
    const why = REFUSED_FUNCTIONS[t.text] ?? (t.text.startsWith("pragma_") ? "it is a table-valued function over the schema" : undefined);
    if (why) return { refused: `the function ${t.text}() is not allowed in admin queries: ${why}` };
    const nested = DOUBLING_FUNCTIONS.has(t.text) ? tokens.slice(i + 2, closingParen(tokens, i + 1)).find((a, j, args) => a.kind === "name" && DOUBLING_FUNCTIONS.has(a.text) && isPunct(args[j + 1], "(")) : undefined;
    if (nested?.kind === "name") {
      return { refused: `${t.text}() of ${nested.text}() is not allowed in admin queries: each can double the length of its input, so nested they multiply it (up to 2 MB a row): call one of them, once` };
    }
  }
  const { ctes, definitions, bodies } = commonTableExpressions(tokens);
  const shape = { sql, tokens, ctes, definitions, bodies };
  // Sizing every CTE finds any that refers to itself, directly or through others.
  const sizes = cteSizes(shape, () => 1);
  return "refused" in sizes ? sizes : shape;
}

function recursive(): string {
  return "recursive common table expressions are not allowed in admin queries: nothing bounds how long they run (use a VALUES list or a join instead)";
}

/** Every `name [(columns)] AS [NOT] [MATERIALIZED] (body)` after a WITH, anywhere in the query. */
function commonTableExpressions(tokens: readonly SqlToken[]): Omit<QueryShape, keyof SqlText> {
  const ctes = new Map<string, Cte>();
  const definitions = new Set<number>();
  const bodies = new Map<number, number>();
  for (let w = 0; w < tokens.length; w++) {
    if (!isKeyword(tokens[w], "with")) continue;
    let j = w + 1;
    for (;;) {
      const name = tokens[j];
      if (name?.kind !== "name") break;
      const at = j++;
      if (isPunct(tokens[j], "(")) j = closingParen(tokens, j) + 1;
      if (!isKeyword(tokens[j], "as")) break;
      j++;
      if (isKeyword(tokens[j], "not")) j++;
      if (isKeyword(tokens[j], "materialized")) j++;
      if (!isPunct(tokens[j], "(")) break;
      const end = closingParen(tokens, j);
      definitions.add(at);
      bodies.set(j + 1, end);
      // The same name defined twice (nested WITHs) is sized as the larger body: an overestimate.
      const known = ctes.get(name.text);
      if (!known || end - j > known.end - known.start) ctes.set(name.text, { name: name.text, start: j + 1, end });
      j = end + 1;
      if (!isPunct(tokens[j], ",")) break;
      j++;
    }
  }
  return { ctes, definitions, bodies };
}

type RowsOf = (name: string) => number | undefined;

/** Every CTE's product (rows and reads over its body), or a refusal for one that refers to itself. */
function cteSizes(shape: QueryShape, rowsOf: RowsOf): Map<string, Product> | { refused: string } {
  const sizes = new Map<string, Product>();
  const sizing = new Set<string>();
  const size = (name: string): Product | undefined => {
    const known = sizes.get(name);
    if (known !== undefined) return known;
    if (sizing.has(name)) return undefined;
    sizing.add(name);
    const cte = shape.ctes.get(name)!;
    const product = productOf(shape, cte.start, cte.end, rowsOf, size);
    sizing.delete(name);
    if (product === undefined) return undefined;
    sizes.set(name, product);
    return product;
  };
  for (const name of shape.ctes.keys()) if (size(name) === undefined) return { refused: recursive() };
  return sizes;
}

interface Product {
  rows: number;
  factors: string[];
  /** How many of the sources are tables `rowsOf` knows, a CTE counting those its body reads. */
  reads: number;
}

/**
 * The product of the sizes of the sources named in tokens [start, end), outside
 * the bodies of CTEs defined there (each reference to a CTE counts its body's
 * product instead); undefined when a CTE refers to itself.
 */
function productOf(shape: QueryShape, start: number, end: number, rowsOf: RowsOf, cteSize: (name: string) => Product | undefined): Product | undefined {
  let rows = 1;
  let reads = 0;
  const factors: string[] = [];
  for (let i = start; i < end; i++) {
    const bodyEnd = i === start ? undefined : shape.bodies.get(i);
    if (bodyEnd !== undefined) {
      i = bodyEnd;
      continue;
    }
    const t = shape.tokens[i]!;
    let factor: number | undefined;
    if (isKeyword(t, "values")) factor = tupleCount(shape.tokens, i + 1);
    else if (isTableName(shape.tokens, i) && t.kind === "name" && !shape.definitions.has(i)) {
      // `main.state` is the table, whatever a CTE of the same name says.
      const qualified = isPunct(shape.tokens[i - 1], ".");
      const cte = !qualified && shape.ctes.has(t.text) ? cteSize(t.text) : { rows: 1, reads: 0 };
      if (cte === undefined) return undefined;
      const table = rowsOf(t.text);
      factor = Math.max(cte.rows, table ?? 1);
      reads += Math.max(cte.reads, table === undefined ? 0 : 1);
    }
    if (factor === undefined || factor <= 1) continue;
    rows *= factor;
    factors.push(`${t.kind === "name" ? t.text : "VALUES"} (${factor.toLocaleString("en")} rows)`);
  }
  return { rows, factors, reads };
}

/**
 * The product of the row counts of what the query reads (tables, CTEs through their bodies,
 * VALUES lists): the rows nested loops over them visit at most, before weights; undefined for
 * a CTE that refers to itself.
 */
export function sourceProduct(shape: QueryShape, rowsOf: RowsOf): number | undefined {
  const sizes = cteSizes(shape, rowsOf);
  return "refused" in sizes ? undefined : productOf(shape, 0, shape.tokens.length, rowsOf, (name) => sizes.get(name))!.rows;
}

/** The rows of each CTE `query` defines (what it reads of tables counted as one row). */
export function cteRows(query: string): Map<string, number> {
  const shape = queryShape(query);
  const sizes = "refused" in shape ? undefined : cteSizes(shape, () => undefined);
  return new Map(sizes === undefined || "refused" in sizes ? [] : [...sizes].map(([name, product]) => [name, product.rows]));
}

/**
 * How many times the query reads the tables named in `tables` (a reference to a CTE counts
 * each read in its body), or why it cannot be bounded. One read is linear in the table; more
 * (a self-join, a subquery, a CTE read twice) are what the work estimate is needed for.
 */
export function readsOf(query: string | SqlText, tables: ReadonlySet<string>): number | { refused: string } {
  const shape = queryShape(query);
  if ("refused" in shape) return shape;
  const rowsOf = (name: string) => (tables.has(name) ? 1 : undefined);
  const sizes = cteSizes(shape, rowsOf);
  if ("refused" in sizes) return sizes;
  return productOf(shape, 0, shape.tokens.length, rowsOf, (name) => sizes.get(name))!.reads;
}

/** How many `(…)` tuples follow a VALUES keyword. */
function tupleCount(tokens: readonly SqlToken[], from: number): number {
  let count = 0;
  let j = from;
  while (isPunct(tokens[j], "(")) {
    count++;
    j = closingParen(tokens, j) + 1;
    if (!isPunct(tokens[j], ",")) break;
    j++;
  }
  return count;
}

/**
 * Why the query may do too much work, from the row counts of the tables and views
 * it names (`rowsOf`: undefined for names that are neither); undefined when it fits.
 */
export function workProblem(shape: QueryShape, rowsOf: RowsOf): string | undefined {
  const sizes = cteSizes(shape, rowsOf);
  if ("refused" in sizes) return sizes.refused;
  const product = productOf(shape, 0, shape.tokens.length, rowsOf, (name) => sizes.get(name))!;
  const { calls, sorts, windows } = weights(shape);
  const work = product.rows * (1 + calls + SORT_WEIGHT * sorts) * (windows ? product.rows : 1);
  if (work <= MAX_QUERY_WORK) return undefined;
  const sources = product.factors.length > 0 ? product.factors.slice(0, 8).join(" × ") : "no table";
  return (
    `the query could visit up to ${work.toExponential(1)} rows, more than the limit of ${MAX_QUERY_WORK.toLocaleString("en")} ` +
    `(${sources}; ${plural(calls, "function call")}, ${plural(sorts, "sort")}${windows ? ", a window function" : ""}): ` +
    `name fewer tables, or filter one object's rows through a single view such as sys_journal`
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Function calls, sorting clauses and whether there is a window (OVER). */
function weights({ tokens, definitions }: QueryShape): { calls: number; sorts: number; windows: boolean } {
  let calls = 0;
  let sorts = 0;
  let windows = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== "name" || t.quoted || definitions.has(i)) continue;
    if (t.text === "over") windows = true;
    if ((t.text === "order" || t.text === "group") && isKeyword(tokens[i + 1], "by")) sorts++;
    else if (t.text === "distinct" || t.text === "intersect" || t.text === "except") sorts++;
    else if (t.text === "union" && !isKeyword(tokens[i + 1], "all")) sorts++;
    else if (t.text === "in" && isPunct(tokens[i + 1], "(")) sorts++;
    else if (isPunct(tokens[i + 1], "(") && !NOT_CALLS.has(t.text)) calls++;
  }
  return { calls, sorts, windows };
}

/**
 * Rows of `cursor` until MAX_QUERY_ROWS rows or MAX_QUERY_BYTES bytes (then
 * `truncated`). The cursor is lazy: stopping early stops SQLite too.
 */
/** An admin query's answer with each row's values in column order (names may repeat: Arrow and Restate's JSON keep them). */
export interface RawQueryResult {
  columns: string[];
  rows: SqlStorageValue[][];
  truncated: boolean;
}

export function boundedRows(cursor: SqlStorageCursor<Record<string, SqlStorageValue>>): QueryResult {
  const raw = boundedRawRows(cursor);
  return { columns: raw.columns, rows: raw.rows.map((values) => Object.fromEntries(raw.columns.map((c, i) => [c, values[i]!]))), truncated: raw.truncated };
}

/** Thrown to roll a read-only query's transaction back, whatever it did. */
const ROLLBACK = Symbol("rollback");

/** `fn`'s result, run inside `transaction` and rolled back whatever it wrote (a `WITH … DELETE` changes nothing). */
export function rolledBack<T>(transaction: (fn: () => void) => void, fn: () => T): T {
  let result: T | undefined;
  try {
    transaction(() => {
      result = fn();
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result!;
}

/** At most `maxRows` rows (MAX_QUERY_ROWS) and MAX_QUERY_BYTES of values, in column order. */
export function boundedRawRows(cursor: SqlStorageCursor<Record<string, SqlStorageValue>>, maxRows = MAX_QUERY_ROWS): RawQueryResult {
  const columns = cursor.columnNames;
  const rows: SqlStorageValue[][] = [];
  let bytes = 0;
  let truncated = false;
  for (const row of cursor.raw()) {
    bytes += rowBytes(columns, row);
    if (rows.length === maxRows || bytes > MAX_QUERY_BYTES) {
      truncated = true;
      break;
    }
    rows.push(row);
  }
  return { columns, rows, truncated };
}

function rowBytes(columns: readonly string[], row: readonly SqlStorageValue[]): number {
  let bytes = 0;
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    bytes += (columns[i]?.length ?? 0) + 8;
    if (typeof value === "string") bytes += value.length;
    else if (value instanceof ArrayBuffer) bytes += Math.ceil(value.byteLength / 3) * 4;
  }
  return bytes;
}
