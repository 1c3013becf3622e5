/**
 * Issue #13: the invocation index and Restate's `POST /query` across the
 * deployment, on the real runtime: rows reach the index shards off the request
 * path, queries need no key, per-object tables are routed to the object a query
 * names, purge and retention remove rows, and a crash between an owner's commit
 * and its send is repaired when the owner next wakes.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, adminQuery as query, advance, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let rt: WorkerdRuntime;
let probe: Probe;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

const rows = async (text: string) => {
  const answer = await query(rt, text);
  if (answer.status !== 200) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.rows as Record<string, unknown>[];
};

describe("sys_invocation across the deployment (the index)", () => {
  test("invocations of many keys are listed without a key, with their status", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await rt.post(`/counter/idx-${i}/add`, i)).headers.get("x-restate-id")!);
    const sleeper = (await rt.post("/counter/idx-sleep/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    const found = await eventually(async () => {
      const list = await rows("SELECT id, target, target_service_ty, status, completion_result FROM sys_invocation WHERE target_service_name = 'counter' AND target_service_key LIKE 'idx-%'");
      return list.length === 13 && list.find((r) => r.id === sleeper)?.status === "suspended" ? list : undefined;
    });
    expect(found).toContainEqual({ id: ids[3], target: "counter/idx-3/add", target_service_ty: "virtual_object", status: "completed", completion_result: "success" });
    await admin(rt, `invocations/${sleeper}/kill`, "PATCH");
    await eventually(async () => (await rows(`SELECT status FROM sys_invocation WHERE target_service_key = 'idx-sleep'`))[0]?.status === "completed");
  });

  test("Restate CLI's list queries: ids ordered and limited, then details joined with sys_deployment", async () => {
    const a = (await rt.post("/counter/cli-a/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    const b = (await rt.post("/counter/cli-b/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    const list = await eventually(async () => {
      const r = await rows("SELECT id FROM sys_invocation inv WHERE inv.target_service_name IN ('counter') AND status != 'completed' ORDER BY inv.created_at DESC, inv.id LIMIT 100");
      return r.some((x) => x.id === a) && r.some((x) => x.id === b) ? r : undefined;
    });
    expect(list.findIndex((x) => x.id === b)).toBeLessThan(list.findIndex((x) => x.id === a)); // newest first
    const detail = await rows(
      `SELECT inv.id, inv.target, inv.status, inv.created_at, inv.modified_at as state_modified_at, inv.retry_count as num_retries, inv.trace_id, dp.id IS NOT NULL as pinned_deployment_exists
       FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id WHERE status != 'completed' AND inv.id in ('${a}','${b}') ORDER BY inv.created_at DESC, inv.id`,
    );
    expect(detail.map((r) => r.id)).toEqual([b, a]);
    expect(detail[0]).toMatchObject({ target: "counter/cli-b/sleepThenAdd", status: "suspended", num_retries: 0, pinned_deployment_exists: false });
    expect(detail[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect("trace_id" in detail[0]!).toBe(false); // nulls are left out, as Restate does
    for (const id of [a, b]) await admin(rt, `invocations/${id}/kill`, "PATCH");
  });

  test("issue #10: a self-join of the index that could visit too many rows is refused before it runs (400); one read of it is not", async () => {
    for (let i = 0; i < 120; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => rt.post(`/counter/self-${i + j}/add/send`, 1)));
    await eventually(async () => Number((await rows("SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_key LIKE 'self-%'"))[0]?.n) >= 120);
    const join = await query(rt, "SELECT count(*) FROM sys_invocation a, sys_invocation b, sys_invocation c, sys_invocation d, sys_invocation e, sys_invocation f");
    expect(join.status).toBe(400);
    // Refused at the ingress now, before any shard: the shards' parts of a self-join would not combine (issue queryfix).
    // The shards' own bound for several reads stays (test/durable/index-shard-bound.test.ts).
    expect(JSON.stringify(join.body)).toMatch(/reads sys_invocation 6 times/);
    expect(await rows("SELECT id FROM sys_invocation WHERE target_service_key LIKE 'self-%' ORDER BY created_at DESC LIMIT 3")).toHaveLength(3);
    // The same join written once, through a common table expression each shard reads five times: bounded as well.
    const through = await query(rt, "SELECT count(*) FROM (WITH a AS (SELECT * FROM sys_invocation) SELECT 1 FROM a, a b, a c, a d, a e)");
    expect(through.status).toBe(400);
    expect(JSON.stringify(through.body)).toMatch(/reads sys_invocation 5 times/);
  });

  test("counts and GROUP BY merge the shards' partial aggregates", async () => {
    for (let i = 0; i < 6; i++) await rt.post(`/counter/agg-${i}/add`, 1);
    const where = "target_service_key LIKE 'agg-%'";
    await eventually(async () => (await rows(`SELECT COUNT(*) AS n FROM sys_invocation WHERE ${where}`))[0]?.n === 6);
    expect(await rows(`SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 50000) WHERE ${where} AND status != 'completed'`)).toEqual([{ "COUNT(1)": 0 }]);
    expect(await rows(`SELECT status, count(*) AS n, max(target_service_key) AS last FROM sys_invocation WHERE ${where} GROUP BY status ORDER BY n DESC`)).toEqual([{ status: "completed", n: 6, last: "agg-5" }]);
  });

  test("a query naming invocation ids reads their owners (no index lag)", async () => {
    const id = (await rt.post("/counter/fresh/add", 1)).headers.get("x-restate-id")!;
    expect(await rows(`SELECT id, status FROM sys_invocation_status WHERE id = '${id}' AND status = 'completed' LIMIT 500`)).toEqual([{ id, status: "completed" }]);
  });

  test("purge and the end of retention remove rows from the index", async () => {
    const purged = (await rt.post("/counter/gone-1/add", 1)).headers.get("x-restate-id")!;
    const expired = (await rt.post("/counter/gone-2/add", 1)).headers.get("x-restate-id")!;
    const listed = () => rows("SELECT id FROM sys_invocation WHERE target_service_key LIKE 'gone-%'");
    await eventually(async () => (await listed()).length === 2);
    expect((await admin(rt, `invocations/${purged}/purge`, "PATCH")).status).toBe(202);
    await advance(rt, "o:counter:gone-2", 2 * 86_400_000);
    await eventually(async () => (await listed()).length === 0);
    expect(await rows(`SELECT id FROM sys_invocation WHERE id = '${expired}'`)).toEqual([]);
  });
});

describe("tables of one object, routed by the query", () => {
  test("state by service_name and service_key, as Restate's CLI asks (bytes as hex)", async () => {
    await rt.post("/counter/st-1/add", 7);
    expect(await rows("select key, value from state where service_name = 'counter' and service_key = 'st-1' ;")).toEqual([{ key: "count", value: "37" }]);
  });

  test("sys_journal by invocation id", async () => {
    const id = (await rt.post("/counter/st-2/add", 2)).headers.get("x-restate-id")!;
    const journal = await rows(`SELECT sj.index, sj.entry_type, sj.completed, sj.invoked_id, sj.sleep_wakeup_at, sj.name FROM sys_journal sj WHERE sj.id = '${id}' ORDER BY index DESC LIMIT 100`);
    expect(journal).toEqual([
      { index: 1, entry_type: "setState", completed: true, name: "count" },
      { index: 0, entry_type: "getState", completed: true, name: "count" },
    ]);
  });

  test("a per-object table without an object is a 400 that says how to name one", async () => {
    const answer = await query(rt, "SELECT * FROM state");
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain("service_name = '…' AND service_key = '…'");
  });

  test("queries the index cannot answer are 400s that say why", async () => {
    for (const [text, why] of [
      ["SELECT avg(retry_count) FROM sys_invocation", "AVG() cannot be combined"],
      ["SELECT status, count(*) FROM sys_invocation GROUP BY status HAVING count(*) > 1", "HAVING"],
      ["SELECT id FROM sys_invocation UNION SELECT id FROM sys_invocation", "UNION"],
      ["DELETE FROM sys_invocation", "only SELECT"],
    ] as const) {
      const answer = await query(rt, text);
      expect(answer.status, text).toBe(400);
      expect(answer.body.message, text).toContain(why);
    }
  });

  test("information_schema.columns and sys_service describe the tables and services", async () => {
    expect(await rows("SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_name = 'sys_journal' AND column_name IN ('promise_name')")).toEqual([{ n: 1 }]);
    expect(await rows("SELECT name, ty FROM sys_service WHERE name = 'counter'")).toEqual([{ name: "counter", ty: "virtual_object" }]);
  });

  test("a string that spells a table's name, a blob and a trailing ';' are read as SQLite reads them (one tokenizer)", async () => {
    expect(await rows("SELECT 'information_schema.columns' AS s, hex(x'6869') AS h, 'it''s' AS q FROM sys_service WHERE name = 'counter';")).toEqual([
      { s: "information_schema.columns", h: "6869", q: "it's" },
    ]);
  });
});

describe("Restate's admin routes (what Restate's CLI reads first)", () => {
  test("version, health, services, one service, deployments, under /v4 or not", async () => {
    const version = await admin(rt, "version");
    expect(version.body).toMatchObject({ min_admin_api_version: 1, max_admin_api_version: 4, ingress_endpoint: `${rt.url.origin}/` });
    expect((await rt.fetch("/restate/admin/health", { headers: { authorization: "Bearer test-token" } })).status).toBe(200);
    const services = (await admin(rt, "v4/services")).body.services as { name: string; ty: string }[];
    expect(services.find((s) => s.name === "counter")?.ty).toBe("VirtualObject");
    expect(services.find((s) => s.name === "steps")?.ty).toBe("Service");
    expect(services.find((s) => s.name === "approval")?.ty).toBe("Workflow");
    const counter = (await admin(rt, "v4/services/counter")).body;
    expect(counter).toMatchObject({ name: "counter", ty: "VirtualObject", public: true, revision: 1, journal_retention: "1d", idempotency_retention: "1d", deployment_id: "dp_10000000000000resolute0" });
    expect(counter.retry_policy).toEqual({ initial_interval: "500ms", exponentiation_factor: 2, max_attempts: 70, max_interval: "1m", on_max_attempts: "Pause" });
    expect(counter.handlers.find((h: { name: string }) => h.name === "get")).toMatchObject({ ty: "Shared", public: true, input_description: "application/json" });
    expect((await admin(rt, "services/approval")).body.workflow_completion_retention).toBe("1d");
    expect((await admin(rt, "v4/services/nope")).status).toBe(404);
    expect((await admin(rt, "v4/services/counter/handlers/add")).body).toMatchObject({ name: "add", ty: "Exclusive" });
    const deployments = (await admin(rt, "v4/deployments")).body.deployments;
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ id: "dp_10000000000000resolute0", uri: `${rt.url.origin}/` });
    expect(deployments[0].services).toContainEqual({ name: "counter", revision: 1 });
    expect((await admin(rt, "v4/deployments/dp_10000000000000resolute0")).body.services.find((s: { name: string }) => s.name === "counter").ty).toBe("VirtualObject");
    expect((await admin(rt, "v4/deployments/dp_other")).status).toBe(404);
  });

  test("POST /query without accept: application/json answers an Arrow stream", async () => {
    const answer = await query(rt, "SELECT COUNT(*) FROM sys_service", "*/*");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
    expect([...(answer.body as Uint8Array).subarray(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
  });

  test("the routes need the admin token", async () => {
    expect((await rt.fetch("/restate/admin/v4/services")).status).toBe(401);
    expect((await rt.fetch("/restate/admin/query", { method: "POST", body: "{}" })).status).toBe(401);
  });
});

describe("statuses that follow pending journal entries", () => {
  test("issue 14: an invocation suspended on an awakeable reads running in the index once it is resolved and works again", async () => {
    probe.close("waiter-idx-resume-work");
    const pending = rt.post("/waiter/idx-resume/waitThenWork");
    const awakeable = await eventually(async () => (await rt.post("/waiter/idx-resume/awakeable")).body as string | undefined);
    const status = async () => (await rows("SELECT status FROM sys_invocation WHERE target = 'waiter/idx-resume/waitThenWork'"))[0]?.status;
    await eventually(async () => ((await status()) === "suspended" ? true : undefined));
    expect((await rt.fetch(`/restate/awakeables/${awakeable}/resolve`, { method: "POST", body: JSON.stringify("it") })).status).toBe(202);
    await probe.waitForHits("waiter-idx-resume-work", 1);
    // Its pending entry completed: the row the owner sends is running again (not a stale "suspended").
    await eventually(async () => ((await status()) === "running" ? true : undefined));
    probe.open("waiter-idx-resume-work");
    expect(await pending).toMatchObject({ status: 200, body: "worked on it" });
    await eventually(async () => ((await status()) === "completed" ? true : undefined));
  });

  test("issue leftovers-1: an invocation retried while an awakeable is pending reads suspended in the index once it waits again", async () => {
    const pending = rt.post("/waiter/idx-retry/waitAfterRetry");
    await probe.waitForHits("waiter-idx-retry-retry", 2); // the first attempt failed, the second one's run is done
    const status = async () => (await rows("SELECT status, retry_count FROM sys_invocation WHERE target = 'waiter/idx-retry/waitAfterRetry'"))[0];
    // The owner's own view (a query naming the id reads the owner) and the index agree once the row is sent.
    const id = await eventually(async () => (await rows("SELECT id FROM sys_invocation WHERE target = 'waiter/idx-retry/waitAfterRetry'"))[0]?.id as string | undefined);
    await eventually(async () => ((await rows(`SELECT status FROM sys_invocation WHERE id = '${id}'`))[0]?.status === "suspended" ? true : undefined));
    expect(await eventually(async () => ((await status())?.status === "suspended" ? status() : undefined), 5_000)).toEqual({ status: "suspended", retry_count: 1 });
    const awakeable = (await rt.post("/waiter/idx-retry/awakeable")).body as string;
    expect((await rt.fetch(`/restate/awakeables/${awakeable}/resolve`, { method: "POST", body: JSON.stringify("it") })).status).toBe(202);
    expect(await pending).toMatchObject({ status: 200, body: "got it" });
  });
});

describe("a crash between an owner's commit and its send", () => {
  test("issue #13: rows changed since the owner's mark are resent when it next wakes", async () => {
    const held = await WorkerdRuntime.start({ entry: ENTRY, bindings: { RESOLUTE_TEST_HOLD_INDEX: "1", PROBE_URL: "http://127.0.0.1:9" } });
    try {
      const done = (await held.post("/counter/crash-a/add", 3)).headers.get("x-restate-id")!;
      const sleeping = (await held.post("/counter/crash-b/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
      const indexed = async () => (await query(held, "SELECT id, status FROM sys_invocation WHERE target_service_key LIKE 'crash-%' ORDER BY id")).body.rows as { id: string; status: string }[];
      // Committed at the owners (a query by id reads them there), never sent to the index.
      expect((await query(held, `SELECT status FROM sys_invocation WHERE id = '${done}'`)).body.rows).toEqual([{ status: "completed" }]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await indexed()).toEqual([]);

      await held.restart({ RESOLUTE_TEST_HOLD_INDEX: "0" });
      // The sleeping invocation's object wakes by itself after the restart (it has a running invocation).
      await eventually(async () => (await indexed()).some((r) => r.id === sleeping && r.status === "suspended"));
      // The completed one's object wakes with its next request.
      await held.post("/counter/crash-a/get");
      await eventually(async () => (await indexed()).some((r) => r.id === done && r.status === "completed"));
    } finally {
      await held.dispose();
    }
  });
});
