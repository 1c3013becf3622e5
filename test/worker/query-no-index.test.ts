/**
 * POST /query with the invocation index off (`createWorker({ indexShards: 0 })`): what it can
 * still answer, and that it touches no index object (issue #10: no storage for what does not
 * exist). Static tables and the invocations a query pins by id are answered without the index,
 * one call each: at the query coordinator (which stores nothing) or at the one owner.
 */
import { expect, test } from "vitest";
import { WorkerdRuntime, adminQuery } from "../support/runtime.js";
import { databases, EMPTY_DATABASE_BYTES } from "../support/databases.js";
import { makeInvocationId } from "../../src/engine/ids.js";

const ENTRY = "test/worker/fixtures/no-index-worker.ts";

test("issue #10: static and pinned queries with indexShards 0 create no index object, and forged ids no object at all", async () => {
  const rt = await WorkerdRuntime.start({ entry: ENTRY });
  try {
    const added = await rt.post("/tally/t1/add", 2);
    expect(added.status).toBe(200);
    const id = added.headers.get("x-restate-id")!;
    const before = databases(rt.persistDir);
    expect(before.size).toBe(1); // tally/t1 only

    expect(await adminQuery(rt, "SELECT name, ty FROM sys_service ORDER BY name")).toMatchObject({ status: 200, body: { rows: [{ name: "echo", ty: "service" }, { name: "tally", ty: "virtual_object" }] } });
    expect((await adminQuery(rt, "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_name = 'sys_journal'")).body.rows).toEqual([{ n: 14 }]);
    // One owner answers the query naming its invocation itself.
    expect((await adminQuery(rt, `SELECT id, status FROM sys_invocation WHERE id = '${id}'`)).body.rows).toEqual([{ id, status: "completed" }]);
    // Forged ids naming owners that cannot exist: answered as unknown ids (no rows), with no object made for them.
    for (const forged of [makeInvocationId("o:nosuch:k", "x"), makeInvocationId("s:echo:7", "x"), makeInvocationId("w:tally:k", "x")]) {
      expect((await adminQuery(rt, `SELECT id FROM sys_invocation WHERE id = '${forged}'`)).body.rows).toEqual([]);
      expect((await adminQuery(rt, `SELECT COUNT(*) AS n FROM sys_invocation WHERE id IN ('${forged}', '${forged}')`)).body.rows).toEqual([{ n: 0 }]);
      expect((await adminQuery(rt, `SELECT * FROM sys_journal WHERE id = '${forged}'`))).toMatchObject({ status: 200, body: { rows: [] } });
    }
    // A scan of every invocation needs the index: refused, with why.
    const scan = await adminQuery(rt, "SELECT id FROM sys_invocation");
    expect(scan.status).toBe(400);
    expect(scan.body.message).toMatch(/index is off/);
    await rt.dispose(true);

    const created = [...databases(rt.persistDir)].filter(([path]) => !before.has(path));
    // The query coordinator only: it ran the static queries and the forged ids' empty answers, and stored nothing.
    expect(created.length).toBe(1);
    expect(created.filter(([, size]) => size > EMPTY_DATABASE_BYTES).map(([p, s]) => `${p} ${s}`)).toEqual([]);
  } finally {
    await rt.dispose().catch(() => {});
  }
});
