/**
 * Storage written by older schema versions is migrated in place when the current
 * build first opens it: nothing stored is lost, and journals written before
 * entries were typed (journal format 1) still replay.
 */
import { afterEach, expect, test } from "vitest";
import { makeAwakeableId } from "../../src/engine/ids.js";
import { SCHEMA_VERSION } from "../../src/durable/schema.js";
import { WorkerdRuntime, admin } from "../support/runtime.js";

let rt: WorkerdRuntime | undefined;
afterEach(async () => rt?.dispose());

test("an object's state and a workflow's journal, state, promise and result survive the upgrade from schema 1", async () => {
  const old = await WorkerdRuntime.start({ entry: "test/worker/fixtures/v1-store.ts" });
  expect((await old.post("/", { name: "o:counter:legacy", kind: "object", key: "legacy" })).status).toBe(200);
  const runId = (await old.post("/", { name: "w:approval:legacy", kind: "workflow", key: "legacy" })).body;
  await old.dispose(true);

  rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/upgraded-worker.ts", persistDir: old.persistDir });
  expect((await rt.post("/counter/legacy/get")).body).toBe(41);
  expect((await rt.post("/counter/legacy/add", 1)).body).toBe(42);
  expect((await rt.post("/approval/legacy/stage")).body).toBe("decided");
  expect((await rt.post("/approval/legacy/peek")).body).toBe("approved");
  const output = await rt.get("/restate/workflow/approval/legacy/output");
  expect(output).toMatchObject({ status: 200, body: "legacy: approved" });
  expect(output.headers.get("x-restate-id")).toBe(runId);
  const described = await admin(rt, `invocations/${runId}`);
  expect(described.body.journal).toEqual([expect.objectContaining({ index: 0, entry_type: "run", name: "notify", completed: true, value_utf8: "1" })]);
  // New invocations get seqs after the migrated ones, and their journals stay apart.
  expect((await rt.post("/counter/legacy/add", 1)).body).toBe(43);
});

async function sql(rt: WorkerdRuntime, object: string, query: string): Promise<unknown[]> {
  const response = await rt.fetch(`/restate/admin/objects/${object}/query`, {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  return ((await response.json()) as { rows: unknown[] }).rows;
}

test("issue #11: invocations left part-way by schema 2 (untyped journals) resume on the current build: a sleep, a decided race, a call", async () => {
  const old = await WorkerdRuntime.start({ entry: "test/worker/fixtures/v2-store.ts" });
  const ids: Record<string, string> = {};
  for (const kind of ["napper", "racer", "caller"]) {
    ids[kind] = (await old.post("/", { name: `o:${kind}:legacy`, kind, key: "legacy" })).body;
  }
  await old.dispose(true);

  rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/upgraded-worker.ts", persistDir: old.persistDir });
  // The sleep that fell due while the old build was down fires; the race replays its recorded winner.
  expect((await rt.get(`/restate/invocation/${ids.napper}/attach`)).body).toBe("rested");
  expect((await rt.get(`/restate/invocation/${ids.racer}/attach`)).body).toBe("the timer won");
  // The call still in the outbox is delivered; the callee's result completes the recorded call entry.
  expect((await rt.get(`/restate/invocation/${ids.caller}/attach`)).body).toBe("callee says 5");
  expect((await rt.post("/counter/callee/get")).body).toBe(5);

  const racer = await admin(rt, `invocations/${ids.racer}`);
  expect(racer.body.journal.map((e: { entry_type: string; completed: boolean }) => [e.entry_type, e.completed])).toEqual([
    ["awakeable", false],
    ["sleep", true],
    ["combinator", true],
    ["sleep", true],
  ]);
  // The old awakeable's id (no secret) completes nothing.
  const oldId = makeAwakeableId(ids.racer!, 0, null);
  expect((await rt.fetch(`/restate/a/${oldId}/resolve`, { method: "POST", body: "1" })).status).toBe(400);
  // Migrated invocations keep journal format 1; new ones are written in the current one.
  expect(await sql(rt, "napper/legacy", "SELECT journal_version FROM invocations")).toEqual([{ journal_version: 1 }]);
  expect(await sql(rt, "counter/callee", "SELECT DISTINCT journal_version FROM invocations")).toEqual([{ journal_version: 2 }]);
  expect(await sql(rt, "napper/legacy", "SELECT v FROM meta WHERE k = 'schema'")).toEqual([{ v: String(SCHEMA_VERSION) }]);
});
