/**
 * SQL over one object's storage through the admin API (`POST .../query`): the
 * Restate-named views, read-only by construction, limits and errors — on the
 * real runtime — and the CLI's `sql` command.
 */
import { describe, expect, test } from "vitest";
import { runCli } from "../../cli/cli.js";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r) => (rt = r));

async function query(path: string, body: unknown, token = "test-token"): Promise<{ status: number; body: any }> {
  const response = await rt.fetch(`/restate/admin/objects/${path}/query`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const sql = (path: string, text: string) => query(path, { query: text });

describe("Restate's views over an object's storage", () => {
  test("sys_invocation, sys_journal and state describe what the object did", async () => {
    await rt.post("/counter/sql-a/add", 5);
    const second = await rt.post("/counter/sql-a/add", 2);
    const secondId = second.headers.get("x-restate-id")!;

    const invocations = await sql("counter/sql-a", "SELECT id, target, status, completion_result, retry_count FROM sys_invocation ORDER BY created_at, id");
    expect(invocations.status).toBe(200);
    expect(invocations.body.columns).toEqual(["id", "target", "status", "completion_result", "retry_count"]);
    expect(invocations.body.rows).toHaveLength(2);
    expect(invocations.body.rows).toContainEqual({ id: secondId, target: "counter/sql-a/add", status: "completed", completion_result: "success", retry_count: 0 });

    const journal = await sql("counter/sql-a", `SELECT entry_type, name, completed, value_utf8 FROM sys_journal WHERE id = '${secondId}' ORDER BY "index"`);
    expect(journal.body.rows).toEqual([
      { entry_type: "getState", name: "count", completed: true, value_utf8: "5" },
      { entry_type: "setState", name: "count", completed: true, value_utf8: "" }, // the value went to the state table
    ]);

    const state = await sql("counter/sql-a", "SELECT service_name, service_key, key, value_utf8, value, value_length FROM state");
    // Rendered as POST /query renders them, as Restate 1.7 does: BLOBs in hex ("7" is 37), booleans as booleans.
    expect(state.body.rows).toEqual([{ service_name: "counter", service_key: "sql-a", key: "count", value_utf8: "7", value: "37", value_length: 1 }]);
  });

  test("sys_inbox and sys_keyed_service_status show the lock holder and the queue behind it", async () => {
    const holder = (await rt.post("/counter/sql-q/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    const queued = (await rt.post("/counter/sql-q/add/send", 1)).body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${holder}`)).body?.status === "suspended");
    expect((await sql("counter/sql-q", "SELECT invocation_id FROM sys_keyed_service_status")).body.rows).toEqual([{ invocation_id: holder }]);
    expect((await sql("counter/sql-q", "SELECT id, service_name, service_key FROM sys_inbox")).body.rows).toEqual([{ id: queued, service_name: "counter", service_key: "sql-q" }]);
    await admin(rt, `invocations/${holder}/kill`, "PATCH");
  });

  test("sys_promise shows a workflow's resolved promise; the query sees its shard", async () => {
    await rt.post("/approval/sql-w/run/send", { title: "T" });
    await eventually(async () => (await rt.post("/approval/sql-w/stage")).body === "waiting");
    await rt.post("/approval/sql-w/decide", "yes");
    await rt.get("/restate/workflow/approval/sql-w/attach");
    const promises = await sql("approval/sql-w", "SELECT service_name, key, completion_success_value_utf8 FROM sys_promise WHERE service_key = 'sql-w'");
    expect(promises.body.rows).toEqual([{ service_name: "approval", key: "decision", completion_success_value_utf8: '"yes"' }]);
    const state = await sql("approval/sql-w", "SELECT key, value_utf8 FROM state WHERE service_key = 'sql-w'");
    expect(state.body.rows).toEqual([{ key: "stage", value_utf8: '"decided"' }]);
  });

  test("a query of its own WITH keeps the views; rows stop at 1,000", async () => {
    const digits = "d(x) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))";
    const counted = await sql(
      "counter/sql-a",
      `WITH ${digits} SELECT a.x * 1000 + b.x * 100 + c.x * 10 + e.x + 1 AS i, (SELECT COUNT(*) FROM sys_invocation) AS invocations FROM d a, d b, d c, d e ORDER BY i`,
    );
    expect(counted.status).toBe(200);
    expect(counted.body.rows).toHaveLength(1000);
    expect(counted.body.truncated).toBe(true);
    expect(counted.body.rows[999]).toEqual({ i: 1000, invocations: 2 });
  });
});

describe("read-only", () => {
  test("a query that writes is rolled back", async () => {
    await rt.post("/counter/sql-ro/add", 3);
    const wrote = await sql("counter/sql-ro", "WITH x AS (SELECT 1) DELETE FROM main.state");
    expect(wrote.status).toBe(200);
    expect((await rt.post("/counter/sql-ro/get")).body).toBe(3);
    expect((await sql("counter/sql-ro", "SELECT value_utf8 FROM state")).body.rows).toEqual([{ value_utf8: "3" }]);
  });

  test("statements other than one SELECT are refused before they run", async () => {
    for (const [text, why] of [
      ["DELETE FROM state", "only SELECT"],
      ["SELECT 1; DELETE FROM state", "one statement only"],
      ["PRAGMA table_list", "only SELECT"],
      ["   ", "empty"],
    ] as const) {
      const res = await sql("counter/sql-ro", text);
      expect(res.status, text).toBe(400);
      expect(res.body.message, text).toContain(why);
    }
    expect((await rt.post("/counter/sql-ro/get")).body).toBe(3);
  });
});

describe("issue #10: a query cannot stop the Worker", () => {
  test("the reported endless WITH RECURSIVE is a 400 with the reason, and health still answers", async () => {
    const endless = await sql("counter/sql-a", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");
    expect(endless.status).toBe(400);
    expect(endless.body).toMatchObject({ code: 400, source: "ingress", message: expect.stringContaining("recursive common table expressions are not allowed") });
    // SQLite needs no RECURSIVE keyword to recurse.
    const unmarked = await sql("counter/sql-a", "WITH n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");
    expect(unmarked.status).toBe(400);
    expect(unmarked.body.message).toContain("recursive");
    expect((await rt.get("/restate/health")).status).toBe(200);
    expect((await rt.post("/counter/sql-a/get")).body).toBe(7);
  });

  test("a cross join of three 10,000-row tables is refused before it runs; one scan of the table runs", async () => {
    const newState = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, [49]]));
    const replaced = await rt.fetch("/restate/admin/services/counter/state", {
      method: "POST",
      headers: { authorization: "Bearer test-token", "content-type": "application/json" },
      body: JSON.stringify({ object_key: "sql-big", new_state: newState }),
    });
    expect(replaced.status).toBe(202);
    const crossed = await sql("counter/sql-big", "SELECT count(*) AS n FROM state a, state b, state c");
    expect(crossed.status).toBe(400);
    expect(crossed.body.message).toMatch(/could visit up to 2\.0e\+12 rows, more than the limit of 10,000,000 \(state \(10,000 rows\) × state/);
    expect((await sql("counter/sql-big", "SELECT count(*) AS n FROM state")).body.rows).toEqual([{ n: 10_000 }]);
    expect((await rt.get("/restate/health")).status).toBe(200);
  });

  test("generators of large values are refused; the answer stops at its byte limit", async () => {
    const blob = await sql("counter/sql-a", "SELECT length(randomblob(2000000)) AS n");
    expect(blob.status).toBe(400);
    expect(blob.body.message).toContain("randomblob() is not allowed");
    // 1,000 rows of 10 KB each: the answer stops near 4 MiB, and says so.
    const digits = "d(x) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))";
    const big = await sql("counter/sql-a", `WITH ${digits} SELECT hex('${"x".repeat(5000)}' || a.x) AS v FROM d a, d b, d c`);
    expect(big.status).toBe(200);
    expect(big.body.truncated).toBe(true);
    expect(big.body.rows.length).toBeGreaterThan(50);
    expect(big.body.rows.length).toBeLessThan(1000);
  });
});

describe("errors", () => {
  test("SQLite's own error is a 400 with its message", async () => {
    const res = await sql("counter/sql-a", "SELECT nope FROM sys_invocation");
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("no such column: nope");
  });

  test("bad bodies, unknown services and a missing token", async () => {
    expect(await query("counter/sql-a", "not json")).toMatchObject({ status: 400, body: { message: expect.stringContaining("must be JSON") } });
    expect(await query("counter/sql-a", { sql: "SELECT 1" })).toMatchObject({ status: 400, body: { message: expect.stringContaining('{"query"') } });
    const tooLong = JSON.stringify({ query: `SELECT '${"x".repeat(70_000)}'` });
    expect((await rt.postAlone("/restate/admin/objects/counter/sql-a/query", tooLong, { authorization: "Bearer test-token" })).status).toBe(413);
    expect((await sql("nothing/here", "SELECT 1")).status).toBe(404);
    expect((await query("counter/sql-a", { query: "SELECT 1" }, "wrong")).status).toBe(401);
  });
});

test("the CLI's sql prints the rows as a table", async () => {
  let out = "";
  const env = { RESOLUTE_ADMIN_URL: rt.url.origin, RESOLUTE_ADMIN_TOKEN: "test-token" };
  const code = await runCli(["sql", "--service", "counter", "--key", "sql-a", "SELECT key, value_utf8 FROM state"], { env, out: (t) => (out += t), err: () => {} });
  expect(code).toBe(0);
  expect(out.split("\n")).toEqual(["KEY    VALUE_UTF8", "count  7", "1 row"]);
});
