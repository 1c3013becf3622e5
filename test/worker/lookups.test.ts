/**
 * Issue #10 (defect 6): lookups of ids that do not exist create no storage: the measure
 * is what an object created by a lookup holds once workerd has closed it (databases.ts).
 * Ids whose owner cannot exist (unknown service, wrong kind, shard out of range) wake no
 * object, at the ingress, the admin API and POST /query alike.
 */
import { expect, test } from "vitest";
import { WorkerdRuntime, admin, adminQuery, eventually } from "../support/runtime.js";
import { databases, EMPTY_DATABASE_BYTES } from "../support/databases.js";
import { makeAwakeableId, makeInvocationId } from "../../src/engine/ids.js";

const ENTRY = "test/worker/fixtures/worker.ts";

async function sendLookups(rt: WorkerdRuntime, ghost: (i: number) => string): Promise<number[]> {
  const statuses: number[] = [];
  const add = (res: { status: number }) => statuses.push(res.status);
  for (let i = 0; i < 20; i++) {
    const owner = `o:counter:${ghost(i)}`;
    const id = makeInvocationId(owner, `forged${i}`);
    add(await rt.get(`/restate/invocation/${id}/output`));
    add(await rt.get(`/restate/invocation/counter/${ghost(i)}/add/key${i}/output`));
    add(await admin(rt, `invocations/${id}`));
    add(await admin(rt, `objects/counter/${ghost(i)}/${i % 2 ? "state" : "invocations"}`));
    add(await rt.post(`/restate/awakeables/${makeAwakeableId(id, 1, "A".repeat(22))}/resolve`, "forged"));
  }
  return statuses;
}

test("issue #10: 100 lookups of ids that do not exist leave no stored data behind, and impossible owners wake no object", async () => {
  const rt = await WorkerdRuntime.start({ entry: ENTRY });
  try {
    // An object that does exist, for comparison, and to open the namespace's directory.
    expect((await rt.post("/counter/real/add", 1)).status).toBe(200);
    // Its row reaches an index shard (a real object with data too) off the hot path: wait for it.
    await eventually(async () => (await adminQuery(rt, "SELECT id FROM sys_invocation")).body?.rows?.length === 1);
    const before = databases(rt.persistDir);

    const statuses = await sendLookups(rt, (i) => `ghost-${i}`);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const query = await rt.fetch("/restate/admin/objects/counter/ghost-q/query", {
      method: "POST",
      headers: { authorization: "Bearer test-token", "content-type": "application/json" },
      body: JSON.stringify({ query: "SELECT id FROM sys_invocation" }),
    });
    expect(query.status).toBe(200);
    expect(((await query.json()) as { rows: unknown[] }).rows).toEqual([]);
    expect((await admin(rt, `invocations/${makeInvocationId("o:counter:ghost-c", "x")}/cancel`, "PATCH")).status).toBe(404); // as Restate answers an unknown id

    // Owners no id here can name: no object at all.
    const impossible = [makeInvocationId("o:nosuch:k", "x"), makeInvocationId("s:counter:0", "x"), makeInvocationId("s:steps:99999", "x"), makeInvocationId("w:counter:k", "x")];
    for (const id of impossible) {
      expect((await rt.get(`/restate/invocation/${id}/attach`)).status).toBe(404);
      expect((await rt.post(`/restate/awakeables/${makeAwakeableId(id, 0, "A".repeat(22))}/resolve`, 1)).status).toBe(404);
      // The admin API answers them as unknown ids too, without an object (before, it made one per id).
      expect(await admin(rt, `invocations/${id}`)).toMatchObject({ status: 404, body: { message: "not found" } });
      for (const action of ["cancel", "kill", "purge", "restart-as-new"]) expect((await admin(rt, `invocations/${id}/${action}`, "PATCH")).status).toBe(404);
      expect((await admin(rt, `invocations/${id}`, "DELETE")).status).toBe(404);
      expect(await adminQuery(rt, `SELECT entry_type FROM sys_journal WHERE id = '${id}'`)).toMatchObject({ status: 200, body: { rows: [] } });
    }
    // A stateless service's key out of its shards names no object either.
    expect((await admin(rt, "objects/steps/99999/invocations")).status).toBe(404);
    await rt.dispose(true);

    const after = databases(rt.persistDir);
    const created = [...after].filter(([path]) => !before.has(path));
    expect(created.length).toBe(22); // the 20 ghost keys, ghost-q and ghost-c: none for the impossible owners
    expect(created.filter(([, size]) => size > EMPTY_DATABASE_BYTES).map(([p, s]) => `${p} ${s}`)).toEqual([]);
    expect(after.get([...before.keys()][0]!)).toBeGreaterThan(EMPTY_DATABASE_BYTES); // a real object has its tables
  } finally {
    await rt.dispose().catch(() => {});
  }
});
