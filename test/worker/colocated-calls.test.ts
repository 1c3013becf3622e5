/**
 * Issue 14: an object's request-response call to a stateless service runs in the object
 * itself (no outbox row, no RPC to an executor shard), on the real runtime. Its id names the
 * object, so everything that goes by id finds it there: admin lookups, attach and output,
 * cancel, the invocation index. Each test fails without the feature: the callee's id then
 * names an `s:` shard (and the object has an outbox). A fan-out keeps only its first callee in the
 * object (an object is one thread): those tests fail when every callee stays there.
 */
import { describe, expect, test } from "vitest";
import { invocationOwner } from "../../src/engine/ids.js";
import { WorkerdRuntime, admin, adminQuery, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

/** Rows of a query over one object's own storage (the admin's per-object SQL). */
async function objectRows(object: string, query: string): Promise<Record<string, unknown>[]> {
  const response = await rt.fetch(`/restate/admin/objects/${object}/query`, { method: "POST", headers: { authorization: "Bearer test-token", "content-type": "application/json" }, body: JSON.stringify({ query }) });
  return ((await response.json()) as { rows: Record<string, unknown>[] }).rows;
}

/** The id of the invocation `callerId` called, as stored in `object`'s own storage. */
async function calleeIn(object: string, callerId: string): Promise<string> {
  return eventually(async () => (await objectRows(object, `SELECT id FROM sys_invocation WHERE invoked_by_id = '${callerId}'`))[0]?.id as string | undefined);
}

async function tablesOf(object: string): Promise<string[]> {
  const query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name";
  return (await objectRows(object, query)).map((r) => r.name as string);
}

describe("issue 14: a call to a stateless service runs in the calling object", () => {
  test("the callee lives in the caller's object, with no outbox there, and is found by id: output, admin, sys_invocation", async () => {
    const sent = await rt.post("/colo/k1/call/send", "co-1");
    const callerId = sent.body.invocationId as string;
    expect(await rt.get(`/restate/invocation/${callerId}/attach`)).toMatchObject({ status: 200, body: "worked co-1 (first 1)" });
    const calleeId = await calleeIn("colo/k1", callerId);
    expect(invocationOwner(calleeId)).toBe("o:colo:k1");
    expect(await tablesOf("colo/k1")).not.toContain("outbox");
    // The object's own listing holds its own invocations only: the callee is coloWork's, not colo/k1's.
    const listed = (await admin(rt, "objects/colo/k1/invocations")).body.invocations as { id: string }[];
    expect(listed.map((i) => i.id)).toEqual([callerId]);
    expect(await rt.get(`/restate/invocation/${calleeId}/output`)).toMatchObject({ status: 200, body: "worked co-1 (first 1)" });
    expect((await admin(rt, `invocations/${calleeId}`)).body).toMatchObject({ status: "completed" });
    const row = await eventually(async () => {
      const { body } = await adminQuery(rt, `SELECT target, target_service_ty, invoked_by_id, status FROM sys_invocation WHERE id = '${calleeId}'`);
      return body.rows?.[0]?.status === "completed" ? body.rows[0] : undefined;
    });
    expect(row).toEqual({ target: "coloWork/steps", target_service_ty: "service", invoked_by_id: callerId, status: "completed" });
  });

  test("a callee waiting in the caller's object is attached to and cancelled by its id; its caller sees the cancellation", async () => {
    const sent = await rt.post("/colo/k2/wait/send", "co-2");
    const callerId = sent.body.invocationId as string;
    const calleeId = await calleeIn("colo/k2", callerId);
    expect(invocationOwner(calleeId)).toBe("o:colo:k2");
    await eventually(async () => (await admin(rt, `invocations/${calleeId}`)).body?.status === "suspended");
    const attached = rt.get(`/restate/invocation/${calleeId}/attach`);
    expect((await admin(rt, `invocations/${calleeId}/cancel`, "PATCH")).status).toBe(202);
    expect(await attached).toMatchObject({ status: 409, body: { message: "Cancelled" } });
    expect(await rt.get(`/restate/invocation/${callerId}/attach`)).toMatchObject({ status: 409 });
    expect(probe.count("co-2-compensate")).toBe(1);
  });

  test("a restart in the middle of the callee: the caller finishes once, the callee's stored step is not run again", async () => {
    probe.close("co-3-second");
    const sent = await rt.post("/colo/k3/call/send", "co-3");
    const callerId = sent.body.invocationId as string;
    await probe.waitForHits("co-3-second", 1);
    expect(invocationOwner(await calleeIn("colo/k3", callerId))).toBe("o:colo:k3");
    // The callee's first step is stored, its second is in flight, both in the caller's object: the process dies.
    await rt.restart();
    probe.open("co-3-second");
    expect(await rt.get(`/restate/invocation/${callerId}/attach`)).toMatchObject({ status: 200, body: "worked co-3 (first 1)" });
    expect(["first", "second", "after"].map((step) => probe.count(`co-3-${step}`))).toEqual([1, 2, 1]);
  });

  test("issue 14: a fan-out keeps one callee in the calling object and spreads the others over the executor shards", async () => {
    const ids = (await rt.post("/colo/f1/fanOut", 6)).body as string[];
    const owners = ids.map((id) => invocationOwner(id)!);
    expect(owners.filter((owner) => owner === "o:colo:f1")).toEqual(["o:colo:f1"]);
    expect(owners.filter((owner) => /^s:coloWork:\d+$/.test(owner))).toHaveLength(5);
  });

  test("issue 14: a chain of calls, each awaited before the next, keeps every callee in the calling object", async () => {
    const ids = (await rt.post("/colo/c1/chain", 4)).body as string[];
    expect(ids.map((id) => invocationOwner(id))).toEqual(Array(4).fill("o:colo:c1"));
  });

  test("issue 14: a restart in the middle of a fan-out keeps every callee's id", async () => {
    probe.close("colo-fan");
    const callerId = (await rt.post("/colo/f2/fanOut/send", 4)).body.invocationId as string;
    await probe.waitForHits("colo-fan", 4);
    const calleesOf = async (): Promise<string[]> => {
      const { body } = await adminQuery(rt, `SELECT id FROM sys_invocation WHERE invoked_by_id = '${callerId}' ORDER BY id`);
      return (body.rows as { id: string }[]).map((r) => r.id);
    };
    const before = await eventually(async () => ((await calleesOf()).length === 4 ? calleesOf() : undefined));
    await rt.restart();
    probe.open("colo-fan");
    const ids = (await rt.get(`/restate/invocation/${callerId}/attach`)).body as string[];
    expect([...ids].sort()).toEqual(before);
    expect(ids.filter((id) => invocationOwner(id) === "o:colo:f2")).toHaveLength(1);
  });
});
