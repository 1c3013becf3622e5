/**
 * Issue 14 (new keys at the floor's cost): an object creates the tables it uses, not the
 * whole schema with its first invocation. Each CREATE TABLE writes a root page and a schema
 * row; a W3-like object (state and steps) needs four tables. A table is created by its first
 * write, a restarted object finds what it holds, and the admin's SQL may still name any table.
 */
import { afterEach, expect, test } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let rt: WorkerdRuntime | undefined;
afterEach(async () => {
  await rt?.dispose();
  rt = undefined;
});

async function query(object: string, text: string): Promise<{ status: number; rows: unknown[] }> {
  const response = await rt!.fetch(`/restate/admin/objects/${object}/query`, {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json" },
    body: JSON.stringify({ query: text }),
  });
  return { status: response.status, rows: ((await response.json()) as { rows: unknown[] }).rows };
}

/** Resolute's tables (workerd keeps its own, `_cf_METADATA`, in the same database). */
const TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name";
const names = (rows: unknown[]) => rows.map((r) => (r as { name: string }).name);

test("issue 14: an object keeping state creates only the core tables; a sleep adds its timers table, which a restart reads", async () => {
  rt = await WorkerdRuntime.start({ entry: ENTRY });
  expect((await rt.post("/counter/plain/add", 2)).body).toBe(2);
  expect(names((await query("counter/plain", TABLES)).rows)).toEqual(["invocations", "journal", "meta", "state"]);

  // A sleep writes a timer: the timers table comes with it. The timer survives a restart and fires.
  const sent = await rt.post("/counter/napper/sleepThenAdd/send", 300);
  expect(sent.status).toBe(202);
  await rt.restart();
  expect((await rt.get(`/restate/invocation/${sent.body.invocationId}/attach`)).body).toBe(1);
  expect(names((await query("counter/napper", TABLES)).rows)).toEqual(["invocations", "journal", "meta", "state", "timers"]);
});

test("issue 14: the admin's SQL may name a table an object has not created yet (no rows), and creates nothing", async () => {
  rt = await WorkerdRuntime.start({ entry: ENTRY });
  await rt.post("/counter/plain/add", 1);
  expect(await query("counter/plain", "SELECT count(*) AS n FROM timers")).toEqual({ status: 200, rows: [{ n: 0 }] });
  expect(await query("counter/plain", "SELECT * FROM sys_promise")).toEqual({ status: 200, rows: [] });
  expect(names((await query("counter/plain", TABLES)).rows)).toEqual(["invocations", "journal", "meta", "state"]);
});
