/**
 * Issue #13: how `POST /query` is planned across the deployment (pure, in Node):
 * which object a per-object query goes to, what each index shard runs, how
 * aggregates merge, and the 400s for what cannot be answered.
 */
import { describe, expect, test } from "vitest";
import { makeInvocationId, ownerName } from "../../src/engine/ids.js";
import { planQuery, QueryPlanError } from "../../src/ingress/query-plan.js";
import { checkedQuery } from "../../src/durable/sql-views.js";
import { queryShape } from "../../src/durable/sql-bounds.js";

const id = makeInvocationId(ownerName("o", "counter", "k1"), "abc");
const other = makeInvocationId(ownerName("w", "signup", "w1"), "run");

/** The 400's reason for a query the planner refuses, or "planned". */
function refused(query: string): string {
  try {
    planQuery(query, 1000);
  } catch (e) {
    if (e instanceof QueryPlanError) return e.message;
    throw e;
  }
  return "planned";
}

describe("per-object tables go to the one object the query names", () => {
  test("by service_name and service_key (Restate CLI's state get)", () => {
    expect(planQuery("select key, value from state where service_name = 'counter' and service_key = 'k' ;", 1000)).toMatchObject({ kind: "object", service: "counter", key: "k" });
  });

  test("by invocation id, with Restate's unquoted `index` column quoted for SQLite", () => {
    const plan = planQuery(`SELECT sj.index, sj.entry_type FROM sys_journal sj WHERE sj.id = '${id}' ORDER BY index DESC LIMIT 100`, 1000);
    expect(plan).toMatchObject({ kind: "object", owner: ownerName("o", "counter", "k1") });
    expect(plan.query).toBe(`SELECT sj."index", sj.entry_type FROM sys_journal sj WHERE sj.id = '${id}' ORDER BY "index" DESC LIMIT 100`);
  });

  test("no object, or several, is a 400 that says how to name one", () => {
    expect(() => planQuery("SELECT * FROM state", 1000)).toThrow(/service_name = '…' AND service_key = '…'/);
    expect(() => planQuery(`SELECT * FROM sys_journal WHERE id IN ('${id}', '${other}')`, 1000)).toThrow(/several objects/);
  });
});

describe("sys_invocation: pushed down to the index shards, then combined", () => {
  test("a row query runs as `<alias>.*` with its WHERE, ORDER BY and LIMIT on each shard", () => {
    const plan = planQuery("SELECT id FROM sys_invocation inv WHERE status != 'completed' ORDER BY inv.created_at DESC, inv.id LIMIT 100", 1000);
    expect(plan).toEqual({
      kind: "rows",
      query: "SELECT id FROM sys_invocation inv WHERE status != 'completed' ORDER BY inv.created_at DESC, inv.id LIMIT 100",
      reads: 1,
      scan: "SELECT inv.* FROM sys_invocation inv WHERE status != 'completed' ORDER BY inv.created_at DESC, inv.id LIMIT 100",
      scanReads: 1,
      limit: 100,
      prefix: true,
    });
  });

  test("the plan says how often its query and scan read sys_invocation: once (an index shard still bounds what it is joined with)", () => {
    expect(planQuery("SELECT id FROM sys_invocation, sys_deployment", 1000)).toMatchObject({ reads: 1, scanReads: 1 });
    expect(planQuery("SELECT count(*) FROM (SELECT * FROM sys_invocation inv) WHERE inv.status = 'running'", 1000)).toMatchObject({ kind: "aggregate", reads: 1, scanReads: 1 });
  });

  test("ORDER BY a select alias is the aliased expression on the shards; no LIMIT means the row bound", () => {
    const limited = planQuery("SELECT inv.modified_at AS m FROM sys_invocation inv ORDER BY m DESC LIMIT 5 OFFSET 2", 1000);
    expect(limited).toMatchObject({ kind: "rows", scan: "SELECT inv.* FROM sys_invocation inv ORDER BY inv.modified_at DESC LIMIT 7" });
    // Ordered on the shards without LIMIT too: an answer cut at the row bound holds the first rows.
    expect(planQuery("SELECT * FROM sys_invocation ORDER BY id", 1000)).toMatchObject({ scan: "SELECT sys_invocation.* FROM sys_invocation ORDER BY id LIMIT 1001", limit: 1001 });
    // A position names the selected column, not the scan's column of `*` at that place.
    expect(planQuery("SELECT target_service_key, id FROM sys_invocation ORDER BY 1 DESC LIMIT 3", 1000)).toMatchObject({ scan: "SELECT sys_invocation.* FROM sys_invocation ORDER BY target_service_key DESC LIMIT 3" });
  });

  test("`id = '…'` or `id IN (…)` at the top of WHERE reads those invocations' owners", () => {
    expect(planQuery(`SELECT id FROM sys_invocation_status WHERE id = '${id}' AND status != 'completed' LIMIT 500`, 1000)).toMatchObject({ ids: [id] });
    expect(planQuery(`SELECT inv.id FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id WHERE status != 'completed' AND inv.id in ('${id}','${other}')`, 1000)).toMatchObject({ ids: [id, other] });
    // Not at the top level: every shard must answer.
    expect(planQuery(`SELECT id FROM sys_invocation WHERE id = '${id}' OR status = 'paused'`, 1000)).not.toHaveProperty("ids");
    // issue (queryfix): AND binds tighter than OR, so an id beside a top-level OR pins nothing (it read only that owner).
    expect(planQuery(`SELECT id FROM sys_invocation WHERE id = '${id}' AND status = 'running' OR status = 'paused'`, 1000)).not.toHaveProperty("ids");
  });

  test("an id Restate's CLI could not parse and took for a target (`target LIKE '<id>/%'`) means that invocation", () => {
    expect(planQuery(`SELECT id, target FROM sys_invocation_status WHERE target LIKE '${id}/%' AND status != 'completed' LIMIT 500`, 1000)).toMatchObject({ ids: [id] });
    expect(planQuery("SELECT id FROM sys_invocation WHERE target LIKE 'counter/%'", 1000)).not.toHaveProperty("ids");
  });

  test("COUNT over Restate CLI's unaliased subquery: each shard counts, the subquery gets its inner alias", () => {
    const plan = planQuery("SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 50000) WHERE inv.target_service_name IN ('counter') AND status != 'completed'", 1000);
    expect(plan).toMatchObject({ kind: "aggregate", merge: ["sum"], order: [], offset: 0 });
    expect((plan as { scan: string }).scan).toBe("SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 50000) AS inv WHERE inv.target_service_name IN ('counter') AND status != 'completed'");
  });

  test("GROUP BY: keys and mergeable aggregates; ORDER BY and LIMIT apply after the merge", () => {
    const plan = planQuery("SELECT status, count(*) AS n, min(created_at), MAX(retry_count) FROM sys_invocation GROUP BY status ORDER BY n DESC, 1 LIMIT 3", 1000);
    expect(plan).toMatchObject({
      kind: "aggregate",
      scan: "SELECT status, count(*) AS n, min(created_at), MAX(retry_count) FROM sys_invocation GROUP BY status ",
      merge: ["key", "sum", "min", "max"],
      order: [{ column: 1, desc: true }, { column: 0, desc: false }],
      limit: 3,
    });
  });

  test("what cannot be combined across shards is refused with the reason", () => {
    expect(refused("SELECT avg(retry_count) FROM sys_invocation")).toMatch(/AVG\(\) cannot be combined/);
    // issue leftovers-4: one list of SQLite's aggregates says which merge (jsonb_group_* were known as aggregates but not as unmergeable ones).
    for (const fn of ["group_concat", "string_agg", "json_group_array", "json_group_object", "jsonb_group_array", "jsonb_group_object"]) {
      expect(refused(`SELECT ${fn}(id, ',') FROM sys_invocation`), fn).toMatch(new RegExp(`${fn.toUpperCase()}\\(\\) cannot be combined`));
    }
    expect(planQuery("SELECT max(retry_count, 1) AS m FROM sys_invocation", 1000)).toMatchObject({ kind: "rows" }); // max of two: a scalar
    expect(refused("SELECT count(DISTINCT status) FROM sys_invocation")).toMatch(/DISTINCT/);
    expect(refused("SELECT status, count(*) FROM sys_invocation GROUP BY status HAVING count(*) > 1")).toMatch(/HAVING/);
    expect(refused("SELECT status, target, count(*) FROM sys_invocation GROUP BY status")).toMatch(/'target' is neither an aggregate/);
    expect(refused("SELECT id FROM sys_invocation UNION SELECT id FROM sys_invocation")).toMatch(/UNION/);
    expect(refused("WITH x AS (SELECT 1) SELECT * FROM sys_invocation")).toMatch(/one SELECT/);
    expect(refused("SELECT sum(retry_count) * 1.0 / count(*) FROM sys_invocation")).toMatch(/computes with an aggregate/);
    expect(refused("SELECT 1")).toMatch(/no table Resolute knows/);
  });

  test("static tables are answered from the config", () => {
    expect(planQuery("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'sys_journal'", 1000)).toEqual({
      kind: "static",
      query: "SELECT COUNT(*) FROM information_schema_columns WHERE table_name = 'sys_journal'",
    });
  });
});

describe("issue leftovers-4: a row query through a subquery in FROM that works row by row is planned, as sourceProblem judged it", () => {
  test("each source scans the subquery's own rows, cut at its LIMIT; the outer clauses (and that LIMIT again) run in the second pass", () => {
    expect(planQuery("SELECT id FROM (SELECT id FROM sys_invocation)", 1000)).toMatchObject({ kind: "rows", scan: "SELECT sys_invocation.* FROM sys_invocation LIMIT 1001", limit: 1001 });
    const query = "SELECT x.id FROM (SELECT * FROM sys_invocation inv WHERE inv.status = 'completed' LIMIT 5) x WHERE x.retry_count = 0 ORDER BY x.id LIMIT 2";
    expect(planQuery(query, 1000)).toMatchObject({ kind: "rows", query, scan: "SELECT inv.* FROM sys_invocation inv WHERE inv.status = 'completed' LIMIT 5", limit: 5 });
    expect(planQuery("SELECT s.name, i.id FROM sys_service s, (SELECT * FROM (SELECT * FROM sys_invocation WHERE status = 'running')) i WHERE i.target_service_name = s.name", 1000))
      .toMatchObject({ kind: "rows", scan: "SELECT sys_invocation.* FROM sys_invocation WHERE status = 'running' LIMIT 1001" });
  });
});

describe("issue leftovers-5: a LIMIT in a FROM subquery caps each shard's rows; the deployment's answer is capped once more", () => {
  test("a lone COUNT (Restate CLI's) merges the shards' counts and caps the sum at the LIMIT", () => {
    const query = "SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 50000) WHERE inv.target_service_name IN ('counter') AND status != 'completed'";
    expect(planQuery(query, 1000)).toMatchObject({ kind: "aggregate", merge: ["sum"], cap: 50000 });
    expect(planQuery("SELECT count(*) FROM (SELECT * FROM sys_invocation)", 1000)).not.toHaveProperty("cap");
  });

  test("other aggregates over a LIMIT of at most 1,000 combine the rows first; over a larger one they are a 400", () => {
    const query = "SELECT status, count(*) AS n FROM (SELECT * FROM sys_invocation WHERE retry_count > 0 LIMIT 10) GROUP BY status";
    expect(planQuery(query, 1000)).toMatchObject({ kind: "rows", query, scan: "SELECT sys_invocation.* FROM sys_invocation WHERE retry_count > 0 LIMIT 10", limit: 10 });
    expect(refused("SELECT sum(retry_count) FROM (SELECT * FROM sys_invocation LIMIT 5000)")).toMatch(/takes its rows in each index shard apart/);
    // The LIMIT above a subquery that filters: the shards' rows would be cut before that filter.
    expect(refused("SELECT max(created_at) FROM (SELECT * FROM (SELECT * FROM sys_invocation WHERE status = 'running') LIMIT 10)")).toMatch(/takes its rows in each index shard apart/);
    // A lone COUNT there is capped as well: the filter only narrows the rows the LIMIT takes from.
    expect(planQuery("SELECT count(*) FROM (SELECT * FROM (SELECT * FROM sys_invocation WHERE status = 'running') LIMIT 10)", 1000)).toMatchObject({ kind: "aggregate", cap: 10 });
  });
});

describe("issue leftovers-3: POST /query reads only the tables it offers, not the SQLite tables of the object answering it", () => {
  test("an index shard's raw table, sqlite_master, a main. name or an object's raw table is a 400 naming the tables there are", () => {
    for (const [query, named] of [
      ["SELECT * FROM index_invocations", "index_invocations"],
      ["SELECT name, sql FROM sys_service, sqlite_master", "sqlite_master"],
      ["SELECT * FROM sys_deployment d JOIN main.index_invocations i ON 1", "main.index_invocations"],
      ["SELECT count(*) FROM sys_invocation WHERE id IN (SELECT id FROM \"Index_Invocations\")", "index_invocations"],
      ["SELECT 1 FROM sys_service WHERE name IN sqlite_schema", "sqlite_schema"],
      ["SELECT * FROM sys_invocation inv, (SELECT * FROM _cf_KV) kv", "_cf_kv"],
      ["SELECT * FROM state, invocations WHERE service_name = 'counter' AND service_key = 'k'", "invocations"],
      ["SELECT (SELECT count(*) FROM meta) FROM sys_service", "meta"],
    ]) {
      const why = refused(query!);
      expect(why, query).toContain(`reads ${named}, which POST /query does not offer`);
      expect(why).toContain("sys_invocation, sys_invocation_status, sys_journal, state, sys_promise, sys_inbox, sys_keyed_service_status, sys_service, sys_deployment, information_schema.columns");
    }
  });

  test("its own tables, the query's own WITH tables, subqueries, VALUES, json_each and IS DISTINCT FROM are no other tables", () => {
    for (const query of [
      "WITH s AS (SELECT name FROM sys_service) SELECT * FROM s",
      "SELECT * FROM sys_service s, json_each('[1]') j, (VALUES (1)) v",
      "SELECT table_name FROM information_schema.columns WHERE column_name IS NOT DISTINCT FROM name",
      "SELECT inv.id FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id, sys_service s WHERE s.name = inv.target_service_name",
      "SELECT count(*) FROM sys_invocation WHERE target_service_name IN ('a', 'b')",
    ]) {
      expect(refused(query), query).not.toMatch(/does not offer/);
    }
  });
});

describe("issue (queryfix): what each index shard answers must combine into the deployment-wide answer, else a 400 that says why", () => {

  test("a second read of the index anywhere, pinned to ids or not: a join, subqueries, a CTE named twice, IN (SELECT …), the shards' raw table", () => {
    for (const query of [
      "SELECT count(*) FROM sys_invocation a, sys_invocation_status b",
      "SELECT count(*) FROM sys_invocation WHERE created_at > (SELECT min(created_at) FROM sys_invocation)",
      "SELECT id FROM sys_invocation WHERE target_service_key IN (SELECT max(target_service_key) FROM sys_invocation)",
      "SELECT id, (SELECT count(*) FROM sys_invocation) AS total FROM sys_invocation",
      "SELECT count(*) FROM (WITH x AS (SELECT * FROM sys_invocation) SELECT 1 FROM x a, x b)",
      `SELECT a.id FROM sys_invocation a JOIN sys_invocation b ON b.invoked_by_id = a.id WHERE a.id = '${id}'`,
    ]) {
      expect(refused(query), query).toMatch(/reads sys_invocation 2 times .* cannot be combined/);
    }
    expect(refused("SELECT count(*) FROM sys_invocation, index_invocations")).toMatch(/reads index_invocations, which POST \/query does not offer/);
    expect(refused("SELECT count(*) FROM (WITH sys_invocation AS (SELECT 1) SELECT * FROM sys_invocation)")).toMatch(/may not be named sys_invocation/);
    // An alias of the index's name reads nothing of it: each shard would answer the same, summed.
    expect(refused("SELECT count(*) FROM sys_service sys_invocation")).toMatch(/do not use them as an alias/);
    expect(refused("SELECT count(*) FROM sys_service AS sys_invocation_status")).toMatch(/do not use them as an alias/);
    // A subquery may call another column `id`: only a direct read of sys_invocation is pinned by it.
    expect(planQuery(`SELECT count(*) FROM (SELECT target_service_key AS id FROM sys_invocation) WHERE id = '${id}'`, 1000)).not.toHaveProperty("ids");
  });

  test("one read, but where each shard answers over its own rows only: outside FROM, NULL-filled by an outer join, a subquery that aggregates or picks first rows, a window", () => {
    expect(refused("SELECT count(*) FROM sys_service WHERE name IN (SELECT target_service_name FROM sys_invocation)")).toMatch(/must be read in FROM/);
    expect(refused("SELECT max((SELECT count(*) FROM sys_invocation)) FROM sys_service")).toMatch(/must be read in FROM/);
    expect(refused("SELECT count(*) FROM (WITH x AS (SELECT * FROM sys_invocation) SELECT * FROM x)")).toMatch(/must be read in FROM/);
    expect(refused("SELECT s.name FROM sys_service s LEFT JOIN sys_invocation inv ON inv.target_service_name = s.name WHERE inv.id IS NULL")).toMatch(/filled with NULLs/);
    expect(refused("SELECT count(*) FROM sys_service s LEFT OUTER JOIN sys_invocation inv ON inv.target_service_name = s.name")).toMatch(/filled with NULLs/);
    expect(refused("SELECT inv.id FROM sys_invocation inv RIGHT JOIN sys_service s ON inv.target_service_name = s.name")).toMatch(/filled with NULLs/);
    for (const inner of ["SELECT DISTINCT status FROM sys_invocation", "SELECT status, count(*) AS c FROM sys_invocation GROUP BY status", "SELECT * FROM sys_invocation ORDER BY created_at LIMIT 5", "SELECT * FROM sys_invocation LIMIT 5 OFFSET 2", "SELECT id, row_number() OVER () AS r FROM sys_invocation"]) {
      expect(refused(`SELECT count(*) FROM (${inner})`), inner).toMatch(/would do so in each index shard apart/);
    }
    expect(refused("SELECT id, count(*) OVER () AS n FROM sys_invocation ORDER BY id LIMIT 1")).toMatch(/window functions/);
    expect(refused("SELECT count(*) FILTER (WHERE status = 'running') FROM sys_invocation")).toMatch(/computes with an aggregate/);
    expect(refused(`SELECT count(*) FROM state s, sys_invocation i WHERE s.service_name = 'counter' AND s.service_key = 'k'`)).toMatch(/cannot be read in one query with state/);
    expect(refused("SELECT * FROM sys_invocation ORDER BY 1 LIMIT 5")).toMatch(/ORDER BY 1 must name one selected column/);
  });

  test("what combines stays planned: the row-wise subquery of Restate's CLI, joins with the static tables, sys_invocation first in a LEFT JOIN", () => {
    expect(refused("SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 50000) WHERE inv.status != 'completed'")).toBe("planned");
    expect(refused("SELECT count(*) FROM (SELECT id, status FROM sys_invocation WHERE status = 'running') r")).toBe("planned");
    expect(refused("SELECT inv.id FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id LIMIT 5")).toBe("planned");
    expect(refused("SELECT s.ty, count(*) FROM sys_service s JOIN sys_invocation inv ON inv.target_service_name = s.name GROUP BY s.ty")).toBe("planned");
  });

  test("SELECT DISTINCT: each shard's distinct rows, merged as keys, then ordered and cut", () => {
    expect(planQuery("SELECT DISTINCT status FROM sys_invocation ORDER BY status LIMIT 2", 1000)).toMatchObject({
      kind: "aggregate",
      scan: "SELECT DISTINCT status FROM sys_invocation ",
      merge: ["key"],
      order: [{ column: 0, desc: false }],
      limit: 2,
    });
  });
});

describe("one tokenizer: the planner reasons over the tokens the bounds read (sql-text.ts)", () => {
  test("x'…' blobs and strings holding keywords or quotes are literals: never rewritten, never names or clauses", () => {
    const listed = `SELECT 'information_schema.columns' AS s, x'6869' AS b, 'it''s index' AS i FROM sys_service`;
    expect(planQuery(listed, 1000)).toEqual({ kind: "static", query: listed });
    // A quoted "from" is a column's name, not the FROM clause; the trailing ';' is cut where the query is read.
    const pinned = `SELECT id, x'27' AS "from" FROM sys_invocation WHERE id = '${id}' AND last_failure <> 'it''s from state' LIMIT 5;`;
    const checked = checkedQuery(pinned);
    if ("refused" in checked) throw new Error(checked.refused);
    const bounded = queryShape(checked);
    expect(bounded).not.toHaveProperty("refused");
    expect(planQuery(checked, 1000)).toEqual({
      kind: "rows",
      query: pinned.slice(0, -1),
      reads: 1,
      scan: `SELECT sys_invocation.* FROM sys_invocation WHERE id = '${id}' AND last_failure <> 'it''s from state' LIMIT 5`,
      scanReads: 1,
      ids: [id],
      limit: 5,
      prefix: true,
    });
  });

  test("Restate CLI's `target LIKE '<id>/%'` becomes the id, but not inside a string", () => {
    expect(planQuery(`SELECT id FROM sys_invocation WHERE target LIKE '${id}/%'`, 1000)).toMatchObject({ ids: [id] });
    const quoted = `SELECT id FROM sys_invocation WHERE last_failure = 'target LIKE ''${id}/%'''`;
    expect(planQuery(quoted, 1000)).toMatchObject({ kind: "rows", query: quoted });
  });
});
