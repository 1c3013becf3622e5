/**
 * Issue #13 (Restate's CLI `invocations describe`): Restate-format aliases of invocation ids
 * on the admin API, on the real runtime. Restate's CLI (known by its user agent) is shown
 * aliases; every admin route and `POST /query` takes an alias wherever it takes an id, from
 * anyone, by looking it up in the invocation index; Resolute's own ids need no lookup.
 */
import { afterEach, describe, expect, test } from "vitest";
import { makeInvocationId } from "../../src/engine/ids.js";
import { restateAliasOf } from "../../src/engine/restate-id.js";
import { encodeRestateInvocationId } from "../support/restate-ids.js";
import { WorkerdRuntime, admin, adminQuery, eventually, useRuntimeWithProbe } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
const CLI = { "user-agent": "restate-cli/1.7.12 linux-x86_64" };

/** POST /query, as Restate's CLI when `headers` say so. */
async function query(target: WorkerdRuntime, text: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await target.fetch("/restate/admin/v4/query", {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query: text }),
  });
  return { status: response.status, body: await response.json() };
}

/** An alias nothing has: Restate's format, random numbers. */
const unknownAlias = () => encodeRestateInvocationId({ partitionKey: 42n, uuid: BigInt(`0x${crypto.randomUUID().replace(/-/g, "")}`) || 1n });

describe("with the invocation index", () => {
  let rt: WorkerdRuntime;
  useRuntimeWithProbe(ENTRY, (r) => (rt = r));

  /** A suspended invocation whose row is in the index, and its alias. */
  async function indexedSleeper(key: string): Promise<{ id: string; alias: string }> {
    const id = (await rt.post(`/counter/${key}/sleepThenAdd/send`, 3_600_000)).body.invocationId as string;
    await eventually(async () => (await adminQuery(rt, `SELECT status FROM sys_invocation WHERE target_service_key = '${key}'`)).body.rows?.[0]?.status === "suspended");
    return { id, alias: await restateAliasOf(id) };
  }

  test("an alias works wherever an id does: describe, POST /query (pinned and per-object), cancel", async () => {
    const { id, alias } = await indexedSleeper("alias-any");
    const byId = await admin(rt, `invocations/${id}`);
    const byAlias = await admin(rt, `invocations/${alias}`);
    expect(byAlias).toEqual(byId);
    expect(byAlias.body).toMatchObject({ id, status: "suspended", journal: [expect.objectContaining({ entry_type: "sleep" })] });
    // Anyone may name the alias; only Restate's CLI is answered with aliases.
    const pinned = `SELECT id, status FROM sys_invocation WHERE id = '${alias}'`;
    expect((await query(rt, pinned)).body.rows).toEqual([{ id, status: "suspended" }]);
    expect((await query(rt, pinned, CLI)).body.rows).toEqual([{ id: alias, status: "suspended" }]);
    const journal = await query(rt, `SELECT id, "index", entry_type, version, entry_json FROM sys_journal WHERE id = '${alias}'`, CLI);
    expect(journal.body.rows).toEqual([{ id: alias, index: 0, entry_type: "sleep", version: 2, entry_json: expect.stringMatching(/^\{"Command":\{"Sleep":\{"wake_up_time":\d+,"completion_id":0,"name":""\}\}\}$/) }]);
    expect(await admin(rt, `invocations/${alias}/cancel`, "PATCH")).toEqual({ status: 202, body: { invocationId: alias, action: "cancel" } });
    await eventually(async () => (await rt.get(`/restate/invocation/${id}/output`)).status === 409);
  });

  test("the CLI is shown every id as an alias: callers in rows, callees in journals, a restarted invocation's new id", async () => {
    const { id, alias } = await indexedSleeper("alias-rows");
    const rows = (await query(rt, `SELECT id, invoked_by, target_service_key FROM sys_invocation WHERE target_service_key = 'alias-rows'`, CLI)).body.rows;
    expect(rows).toEqual([{ id: alias, invoked_by: "ingress", target_service_key: "alias-rows" }]);
    await admin(rt, `invocations/${id}/kill`, "PATCH");
    const restarted = await rt.fetch(`/restate/admin/invocations/${alias}/restart-as-new`, { method: "PATCH", headers: { authorization: "Bearer test-token", ...CLI } });
    const newId = ((await restarted.json()) as { new_invocation_id: string }).new_invocation_id;
    expect(newId).toMatch(/^inv_1[0-9a-zA-Z]{33}$/);
    // Shown to the CLI, so it resolves at once, before its row reaches the index.
    expect((await admin(rt, `invocations/${newId}`)).body).toMatchObject({ target: "counter/alias-rows/sleepThenAdd" });
    await admin(rt, `invocations/${newId}/kill`, "PATCH");
  });

  test("an alias the index does not know: 404 that says why, and SQL that finds nothing", async () => {
    const alias = unknownAlias();
    const described = await admin(rt, `invocations/${alias}`);
    expect(described.status).toBe(404);
    expect(described.body.message).toContain("invocation index");
    expect((await admin(rt, `invocations/${alias}/cancel`, "PATCH")).status).toBe(404);
    expect((await query(rt, `SELECT id FROM sys_invocation WHERE id = '${alias}'`, CLI)).body.rows).toEqual([]);
    const journal = await query(rt, `SELECT * FROM sys_journal WHERE id = '${alias}'`, CLI);
    expect(journal.status).toBe(400);
    expect(journal.body.message).toContain(`invocation '${alias}' not found`);
  });

  test("the ingress takes Resolute's ids only, and says so for an alias", async () => {
    const attach = await rt.get(`/restate/invocation/${unknownAlias()}/output`);
    expect(attach.status).toBe(400);
    expect(attach.body.message).toContain("Restate's format");
  });
});

describe("before the index has the row", () => {
  let held: WorkerdRuntime | undefined;
  afterEach(async () => held?.dispose());

  test("an alias is not found until its row is indexed, unless this Worker showed it to Restate's CLI", async () => {
    // Sends to the index never leave: every invocation stays younger than the index's lag.
    held = await WorkerdRuntime.start({ entry: ENTRY, bindings: { RESOLUTE_TEST_HOLD_INDEX: "1", PROBE_URL: "http://127.0.0.1:9" } });
    const id = (await held.post("/counter/alias-young/add", 1)).headers.get("x-restate-id")!;
    const alias = await restateAliasOf(id);
    expect((await admin(held, `invocations/${alias}`)).status).toBe(404);
    expect((await admin(held, `invocations/${id}`)).status).toBe(200); // its own id needs no index
    expect((await query(held, `SELECT id FROM sys_invocation WHERE id = '${id}'`, CLI)).body.rows).toEqual([{ id: alias }]);
    expect((await admin(held, `invocations/${alias}`)).body).toMatchObject({ id, status: "completed" });
  });

  test("rows indexed before aliases existed get theirs when the shard starts", async () => {
    const old = await WorkerdRuntime.start({ entry: "test/worker/fixtures/v1-index.ts" });
    const id = makeInvocationId("o:counter:alias-legacy", "0123456789abcdef0123456789abcdef");
    expect((await old.post("/", { id, key: "alias-legacy" })).status).toBe(204);
    await old.dispose(true);
    held = await WorkerdRuntime.start({ entry: ENTRY, persistDir: old.persistDir, bindings: { PROBE_URL: "http://127.0.0.1:9" } });
    // Not pinned (OR), so the shards answer from their rows: the alias must have been resolved there.
    const found = await query(held, `SELECT id, target FROM sys_invocation WHERE id = '${await restateAliasOf(id)}' OR target_service_key = 'none'`);
    expect(found.body.rows).toEqual([{ id, target: "counter/alias-legacy/add" }]);
    // And the upgraded shard takes new rows.
    await held.post("/counter/alias-legacy-new/add", 1);
    await eventually(async () => (await query(held!, `SELECT id FROM sys_invocation WHERE target_service_key = 'alias-legacy-new'`)).body.rows?.length === 1);
  });
});
