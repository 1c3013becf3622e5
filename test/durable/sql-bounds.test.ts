/**
 * issue #10: admin SQL cannot stop the Worker. What the bounds refuse from a
 * query's text, and the work they estimate from row counts, in Node.
 */
import { describe, expect, test } from "vitest";
import { MAX_QUERY_WORK, queryShape, readsOf, workProblem, type QueryShape } from "../../src/durable/sql-bounds.js";
import { queryProblem, sourceRows } from "../../src/durable/sql-views.js";

function shape(query: string): QueryShape {
  const s = queryShape(query);
  if ("refused" in s) throw new Error(`refused: ${s.refused}`);
  return s;
}

/** Row counts as an object would report them for its tables, and so for the views over them. */
const rows = (counts: Record<string, number>) => sourceRows((table) => counts[table]);

describe("refused from the text alone", () => {
  test("recursive common table expressions, with or without the keyword, and through other CTEs", () => {
    for (const query of [
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
      "WITH n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
      "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM a",
      "SELECT * FROM (WITH x AS (SELECT * FROM x) SELECT * FROM x)",
    ]) {
      expect(queryProblem(query), query).toMatch(/recursive common table expressions are not allowed/);
    }
  });

  test("functions that make large values from small arguments, and table-valued functions", () => {
    expect(queryProblem("SELECT length(randomblob(2000000))")).toMatch(/randomblob\(\) is not allowed/);
    expect(queryProblem("SELECT ZEROBLOB(10)")).toMatch(/zeroblob\(\) is not allowed/);
    expect(queryProblem("SELECT printf('%.*c', 100000, 'x')")).toMatch(/printf\(\)/);
    expect(queryProblem("SELECT format ('%5d', 1)")).toMatch(/format\(\)/);
    expect(queryProblem("SELECT replace(key, 'a', key) FROM state")).toMatch(/replace\(\)/);
    expect(queryProblem("SELECT * FROM json_each('[1]')")).toMatch(/json_each\(\).*table-valued/);
    expect(queryProblem("SELECT * FROM pragma_table_info('state')")).toMatch(/pragma_table_info\(\).*table-valued/);
  });

  test("names inside strings and comments do not count; quoted names do", () => {
    expect(queryProblem("SELECT 'WITH RECURSIVE randomblob(' AS x -- recursive\n")).toBeUndefined();
    expect(queryProblem("SELECT 1 /* randomblob(1) */")).toBeUndefined();
    expect(queryProblem("SELECT \"randomblob\"(1)")).toMatch(/randomblob/);
    expect(queryProblem("SELECT ';' AS semicolon")).toBeUndefined();
    expect(queryProblem("SELECT 'unclosed")).toMatch(/string literal is not closed/);
  });
});

describe("the work estimate", () => {
  const tenK = rows({ state: 10_000, invocations: 10_000, journal: 10_000 });

  test("a cross join of three 10,000-row tables is refused, naming the factors", () => {
    const problem = workProblem(shape("SELECT count(*) FROM state a, state b, main.state c"), tenK);
    expect(problem).toMatch(/could visit up to 2\.0e\+12 rows, more than the limit of 10,000,000/);
    expect(problem).toContain("state (10,000 rows) × state (10,000 rows) × state (10,000 rows)");
  });

  test("a scan of one table, or a join of small ones, fits", () => {
    expect(workProblem(shape("SELECT key, value_utf8 FROM state WHERE key LIKE 'a%' ORDER BY key"), tenK)).toBeUndefined();
    expect(workProblem(shape("SELECT * FROM sys_invocation i, state s"), rows({ invocations: 100, state: 1000 }))).toBeUndefined();
  });

  test("a view counts the rows of the tables it reads", () => {
    expect(workProblem(shape("SELECT * FROM sys_journal a, sys_journal b"), rows({ journal: 3000, invocations: 200 }))).toMatch(/sys_journal \(3,200 rows\)/);
  });

  test("VALUES lists count their tuples, CTEs their body at each reference", () => {
    const digits = "WITH d(x) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))";
    expect(workProblem(shape(`${digits} SELECT count(*) FROM d a, d b, d c, d e, d f`), rows({}))).toBeUndefined(); // 10^5 × 2
    expect(workProblem(shape(`${digits} SELECT count(*) FROM d a, d b, d c, d e, d f, d g, d h`), rows({}))).toMatch(/2\.0e\+7/);
    const nested = `${digits}, p AS (SELECT a.x FROM d a, d b, d c) SELECT count(*) FROM p a, p b, p c`;
    expect(workProblem(shape(nested), rows({}))).toMatch(/2\.0e\+9/);
  });

  test("sorts and window functions weigh more than plain loops", () => {
    const counts = rows({ state: 50_000 });
    expect(workProblem(shape("SELECT key FROM state"), counts)).toBeUndefined();
    expect(workProblem(shape("SELECT DISTINCT key FROM state ORDER BY key"), counts)).toMatch(/2 sorts/);
    expect(workProblem(shape("SELECT key, row_number() OVER (ORDER BY key) FROM state"), rows({ state: 5_000 }))).toMatch(/window function/);
  });

  test("the limit is the documented constant", () => {
    expect(MAX_QUERY_WORK).toBe(10_000_000);
  });
});

describe("reads of a table (what an index shard's bound needs, worked out at the ingress)", () => {
  const index = new Set(["sys_invocation", "sys_invocation_status"]);
  test("each reference counts, a CTE's at each reference to it; qualifiers, calls and CTE names where defined do not", () => {
    expect(readsOf("SELECT sys_invocation.id, count(*) FROM sys_invocation WHERE status = 'running'", index)).toBe(1);
    expect(readsOf("SELECT * FROM sys_invocation a, sys_invocation_status b", index)).toBe(2);
    expect(readsOf("SELECT * FROM sys_invocation WHERE id IN (SELECT id FROM sys_invocation)", index)).toBe(2);
    expect(readsOf("SELECT count(*) FROM (WITH a AS (SELECT * FROM sys_invocation) SELECT 1 FROM a, a b, a c)", index)).toBe(3);
    expect(readsOf("WITH a AS (SELECT * FROM sys_invocation), b AS (SELECT * FROM a, a y) SELECT * FROM b, a", index)).toBe(3);
    expect(readsOf("WITH sys_invocation AS (SELECT 1) SELECT * FROM sys_service", index)).toBe(0);
    expect(readsOf("SELECT * FROM sys_service", index)).toBe(0);
  });

  test("a query the bounds refuse is refused here too", () => {
    expect(readsOf("SELECT * FROM sys_invocation, json_each('[1]')", index)).toMatchObject({ refused: expect.stringContaining("json_each") });
  });
});
