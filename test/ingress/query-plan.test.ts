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
    });
  });

  test("the plan says how often its query and scan read sys_invocation (an index shard bounds only more than one read)", () => {
    // An ORDER BY naming a select alias takes the item's subquery into the scan: two reads there.
    const ordered = planQuery("SELECT id, (SELECT count(*) FROM sys_invocation b WHERE b.created_at < a.created_at) AS older FROM sys_invocation a ORDER BY older LIMIT 5", 1000);
    expect(ordered).toMatchObject({ kind: "rows", reads: 2, scanReads: 2 });
    expect(planQuery("SELECT id FROM sys_invocation a WHERE a.id IN (SELECT id FROM sys_invocation)", 1000)).toMatchObject({ reads: 2, scanReads: 2 });
    expect(planQuery("SELECT id FROM sys_invocation, sys_deployment", 1000)).toMatchObject({ reads: 1, scanReads: 1 });
    const through = planQuery("SELECT count(*) FROM (WITH a AS (SELECT * FROM sys_invocation) SELECT 1 FROM a, a b, a c)", 1000);
    expect(through).toMatchObject({ kind: "aggregate", reads: 3, scanReads: 3 });
  });

  test("ORDER BY a select alias is the aliased expression on the shards; no LIMIT means the row bound", () => {
    const limited = planQuery("SELECT inv.modified_at AS m FROM sys_invocation inv ORDER BY m DESC LIMIT 5 OFFSET 2", 1000);
    expect(limited).toMatchObject({ kind: "rows", scan: "SELECT inv.* FROM sys_invocation inv ORDER BY inv.modified_at DESC LIMIT 7" });
    expect(planQuery("SELECT * FROM sys_invocation ORDER BY id", 1000)).toMatchObject({ scan: "SELECT sys_invocation.* FROM sys_invocation LIMIT 1001", limit: 1001 });
  });

  test("`id = '…'` or `id IN (…)` at the top of WHERE reads those invocations' owners", () => {
    expect(planQuery(`SELECT id FROM sys_invocation_status WHERE id = '${id}' AND status != 'completed' LIMIT 500`, 1000)).toMatchObject({ ids: [id] });
    expect(planQuery(`SELECT inv.id FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id WHERE status != 'completed' AND inv.id in ('${id}','${other}')`, 1000)).toMatchObject({ ids: [id, other] });
    // Not at the top level: every shard must answer.
    expect(planQuery(`SELECT id FROM sys_invocation WHERE id = '${id}' OR status = 'paused'`, 1000)).not.toHaveProperty("ids");
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
    const refused = (query: string) => {
      try {
        planQuery(query, 1000);
      } catch (e) {
        if (e instanceof QueryPlanError) return e.message;
        throw e;
      }
      return "planned";
    };
    expect(refused("SELECT avg(retry_count) FROM sys_invocation")).toMatch(/AVG\(\) cannot be combined/);
    expect(refused("SELECT count(DISTINCT status) FROM sys_invocation")).toMatch(/DISTINCT/);
    expect(refused("SELECT status, count(*) FROM sys_invocation GROUP BY status HAVING count(*) > 1")).toMatch(/HAVING/);
    expect(refused("SELECT status, target, count(*) FROM sys_invocation GROUP BY status")).toMatch(/'target' is neither an aggregate/);
    expect(refused("SELECT id FROM sys_invocation UNION SELECT id FROM sys_invocation")).toMatch(/UNION/);
    expect(refused("WITH x AS (SELECT 1) SELECT * FROM sys_invocation")).toMatch(/one SELECT/);
    expect(refused("SELECT id FROM (SELECT id FROM sys_invocation)")).toMatch(/directly in FROM/);
    expect(refused("SELECT 1")).toMatch(/no table Resolute knows/);
  });

  test("static tables are answered from the config", () => {
    expect(planQuery("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'sys_journal'", 1000)).toEqual({
      kind: "static",
      query: "SELECT COUNT(*) FROM information_schema_columns WHERE table_name = 'sys_journal'",
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
    });
  });

  test("Restate CLI's `target LIKE '<id>/%'` becomes the id, but not inside a string", () => {
    expect(planQuery(`SELECT id FROM sys_invocation WHERE target LIKE '${id}/%'`, 1000)).toMatchObject({ ids: [id] });
    const quoted = `SELECT id FROM sys_invocation WHERE last_failure = 'target LIKE ''${id}/%'''`;
    expect(planQuery(quoted, 1000)).toMatchObject({ kind: "rows", query: quoted });
  });
});
