/**
 * Storage written by schema version 1 is migrated in place when the current
 * build first opens it: nothing stored is lost.
 */
import { afterEach, expect, test } from "vitest";
import { TestRuntime, admin } from "../support/runtime.js";

let rt: TestRuntime | undefined;
afterEach(async () => rt?.dispose());

test("an object's state and a workflow's journal, state, promise and result survive the upgrade from schema 1", async () => {
  const old = await TestRuntime.start({ entry: "test/worker/fixtures/v1-store.ts" });
  expect((await old.post("/", { name: "o:counter:legacy", kind: "object", key: "legacy" })).status).toBe(200);
  const runId = (await old.post("/", { name: "w:approval:legacy", kind: "workflow", key: "legacy" })).body;
  await old.dispose(true);

  rt = await TestRuntime.start({ entry: "test/worker/fixtures/upgraded-worker.ts", persistDir: old.persistDir });
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
