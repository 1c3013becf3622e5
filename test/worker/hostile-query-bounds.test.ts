/**
 * queryadv: `POST /query` and an object's SQL against an admin who means harm, on the real
 * runtime: what would burn a shard or the Worker is refused (400, saying why) or bounded,
 * never a hang or a 5xx, and the deployment keeps serving; nothing reads Resolute's raw tables
 * through `POST /query` (an index shard's, sqlite_master, an object's) or changes anything.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { WorkerdRuntime, adminQuery, eventually, useRuntimeWithProbe } from "../support/runtime.js";

let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r) => (rt = r));

const KEYS = Array.from({ length: 8 }, (_, i) => `b-${i}`);

async function objectSql(path: string, text: string): Promise<{ status: number; body: any }> {
  const response = await rt.fetch(`/restate/admin/objects/${path}/query`, {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json" },
    body: JSON.stringify({ query: text }),
  });
  return { status: response.status, body: await response.json() };
}

/** Still serving: health, a call, and a query over the index. */
async function expectServing(): Promise<void> {
  expect((await rt.get("/restate/health")).status).toBe(200);
  expect((await rt.post("/counter/b-0/get")).body).toBe(1);
  expect((await adminQuery(rt, "SELECT count(*) AS n FROM sys_invocation WHERE target_service_key LIKE 'b-%' AND target_handler_name = 'add'")).body.rows).toEqual([{ n: KEYS.length }]);
}

beforeAll(async () => {
  await Promise.all(KEYS.map((k) => rt.post(`/counter/${k}/add`, 1)));
  // 2,000 state entries in one object: what a row-by-row amplification multiplies.
  const newState = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`key-${i}`, [49]]));
  const replaced = await rt.fetch("/restate/admin/services/counter/state", {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json" },
    body: JSON.stringify({ object_key: "b-big", new_state: newState }),
  });
  expect(replaced.status).toBe(202);
  await eventually(async () => Number((await adminQuery(rt, "SELECT count(*) AS n FROM sys_invocation WHERE target_service_key LIKE 'b-%' AND target_handler_name = 'add'")).body.rows?.[0]?.n) === KEYS.length);
});

describe("queryadv: no read of Resolute's raw tables through POST /query", () => {
  const NOT_OFFERED = /which POST \/query does not offer/;
  const ONLY_READS = /POST \/query only reads/;
  const cases: [string, RegExp][] = [
    // A table in parentheses is a FROM item too (`FROM (t)`, `JOIN (t AS x)`): it was not seen as one,
    // and an index shard's raw rows (expired ones, aliases) and its schema were answered.
    ["SELECT * FROM (index_invocations)", NOT_OFFERED],
    ["SELECT count(*) AS n FROM sys_invocation, (sqlite_master)", NOT_OFFERED],
    ["SELECT * FROM sys_service s JOIN (index_invocations i) ON 1 LIMIT 2", NOT_OFFERED],
    ["SELECT count(*) AS n FROM sys_service NATURAL JOIN ((sqlite_master))", NOT_OFFERED],
    ["SELECT (SELECT group_concat(sql) FROM (sqlite_master)) AS s FROM sys_service LIMIT 1", NOT_OFFERED],
    ["SELECT key FROM state WHERE service_name = 'counter' AND service_key = 'b-1' AND key IN (SELECT name FROM (journal))", NOT_OFFERED],
    // A write after WITH was rolled back, but its target is no FROM item: RETURNING read the raw rows.
    ["WITH x AS (SELECT * FROM state WHERE service_name = 'counter' AND service_key = 'b-1') UPDATE journal SET type = type RETURNING *", ONLY_READS],
    ["WITH x AS (SELECT 1 FROM sys_service) UPDATE index_invocations SET id = id RETURNING *", ONLY_READS],
    ["WITH x AS (SELECT 1 FROM sys_service) INSERT INTO index_invocations (id) VALUES ('x') RETURNING *", ONLY_READS],
    ["WITH x AS (SELECT 1 FROM sys_service) DELETE FROM index_invocations RETURNING id", ONLY_READS],
    ["WITH x AS (SELECT 1 FROM sys_service) REPLACE INTO index_invocations (id) VALUES ('x')", ONLY_READS],
  ];
  for (const [text, why] of cases) {
    test(text, async () => {
      const answer = await adminQuery(rt, text);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.message).toMatch(why);
    });
  }

  test("other statements, schemas and functions are refused before they run", async () => {
    for (const [text, why] of [
      ["PRAGMA table_list", /only SELECT/],
      ["ATTACH DATABASE 'x' AS y", /only SELECT/],
      ["SELECT 1 AS n FROM sys_service; DELETE FROM sys_service", /one statement only/],
      ["SELECT * FROM main.sqlite_master", /does not offer/],
      ["SELECT * FROM sys_service, pragma_table_list", /does not offer/],
      ["SELECT count(*) FROM pragma_table_info('index_invocations')", /table-valued function/],
      ["SELECT * FROM sys_invocation, json_each('[1, 2]')", /table-valued function/],
      ["SELECT load_extension('x') FROM sys_service", /query failed: (no such function|not authorized)/],
    ] as const) {
      const answer = await adminQuery(rt, text);
      expect(answer.status, `${text}: ${JSON.stringify(answer.body)}`).toBe(400);
      expect(answer.body.message, text).toMatch(why);
    }
    await expectServing();
  });
});

describe("queryadv: what would burn the Worker or a shard is refused, and the deployment keeps serving", () => {
  // The planner walks a query's tokens once a nesting level: 2,000 nested FROM subqueries took 17 s of the Worker.
  test("nesting past 100 parentheses is a 400 before anything is planned or run", async () => {
    const nested = `SELECT count(*) AS n FROM ${"(SELECT * FROM ".repeat(400)}sys_invocation${")".repeat(400)}`;
    const answer = await adminQuery(rt, nested);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/nests parentheses 400 deep, more than the 100/);
    const deepValue = await objectSql("counter/b-1", `SELECT ${"(".repeat(150)}1${")".repeat(150)} AS x`);
    expect(deepValue.body.message).toMatch(/nests parentheses 150 deep/);
    // 60 levels plan and run.
    expect((await adminQuery(rt, `SELECT count(*) AS n FROM ${"(SELECT * FROM ".repeat(60)}sys_invocation WHERE target_service_key LIKE 'b-%' AND target_handler_name = 'add'${")".repeat(60)}`)).body.rows).toEqual([{ n: KEYS.length }]);
    await expectServing();
  });

  // Each hex() doubles its input: 17 of them over 2,000 keys made 1.3 GB of text in one statement SQLite cannot interrupt.
  test("nested hex()/quote() (a value doubled at each level, from every row) is a 400", async () => {
    const hex17 = `${"hex(".repeat(17)}key${")".repeat(17)}`;
    for (const answer of [
      await objectSql("counter/b-big", `SELECT sum(length(${hex17})) AS n FROM state`),
      await adminQuery(rt, `SELECT sum(length(${hex17})) AS n FROM state WHERE service_name = 'counter' AND service_key = 'b-big'`),
      await adminQuery(rt, `SELECT max(length(hex(lower(hex(id))))) AS n FROM sys_invocation`),
      await adminQuery(rt, `SELECT quote(quote(name)) AS q FROM sys_service`),
    ]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.message).toMatch(/\(\) of (hex|quote)\(\) is not allowed/);
    }
    // One hex() is linear in its input: answered.
    expect((await objectSql("counter/b-big", "SELECT count(*) AS n FROM state WHERE length(hex(key)) > 0")).body.rows).toEqual([{ n: 2_000 }]);
    await expectServing();
  });

  test("cross joins, recursion, generators, huge LIMIT/OFFSET and 1 MB of SQL: a 400 (or 413), never a 5xx", async () => {
    for (const text of [
      "SELECT count(*) AS n FROM sys_service a, sys_service b, sys_service c, sys_service d, sys_service e, sys_service f",
      "SELECT count(*) AS n FROM sys_invocation a, sys_invocation b",
      "SELECT count(*) AS n FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT i FROM c, sys_service)",
      "SELECT length(zeroblob(1000000000)) AS n FROM sys_service",
      "SELECT id FROM sys_invocation LIMIT 99999999999999999999",
      "SELECT id FROM sys_invocation ORDER BY id LIMIT -1",
    ]) {
      const answer = await adminQuery(rt, text);
      expect(answer.status, `${text}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBe(400);
    }
    expect((await adminQuery(rt, "SELECT id FROM sys_invocation ORDER BY id LIMIT 1 OFFSET 9223372036854775807")).body.rows).toEqual([]);
    const huge = await rt.postAlone("/restate/admin/v4/query", JSON.stringify({ query: `SELECT '${"x".repeat(1024 * 1024)}' AS x FROM sys_service` }), { authorization: "Bearer test-token" });
    expect(huge.status).toBe(413);
    const manyStatements = await adminQuery(rt, Array.from({ length: 2_000 }, () => "SELECT 1 FROM sys_service").join("; "));
    expect(manyStatements.body.message).toMatch(/one statement only/);
    await expectServing();
  });
});
