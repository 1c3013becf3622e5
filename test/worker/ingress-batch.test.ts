/**
 * Issue 14, ingress coalescing: an object's `invokeMany` (several ingress invokes of one key in
 * one RPC) answers each member as it stands when the commit holding the batch is durable, a
 * slow member `pending` without holding the others' answers; a crash before that commit
 * answers none of them and keeps none of their writes, and the same batch sent again runs
 * each once. Concurrent HTTP calls to one hot key (which the ingress coalesces) each get
 * their own result.
 */
import { expect, test } from "vitest";
import { WorkerdRuntime, admin, answersWithin, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";
import type { BatchMember } from "../support/test-routes.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import { newRandomSuffix } from "../../src/ingress/invocation-id.js";

let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r, p) => ((rt = r), (probe = p)), { HANDLER_VERSION: "1" });

const owner = (key: string) => `o:counter:${key}`;
const member = (key: string, handler: string): BatchMember => ({ handler, invocationId: makeInvocationId(owner(key), newRandomSuffix()), input: handler === "add" ? 1 : null });
const invokeMany = (key: string, members: BatchMember[], signal?: AbortSignal) =>
  rt.fetch(`/__test/invoke-many?owner=${encodeURIComponent(owner(key))}`, { method: "POST", body: JSON.stringify(members), headers: { "content-type": "application/json" }, ...(signal ? { signal } : {}) });

test("issue 14: a batch answers the members done by its commit; one held up is pending and holds no other's answer", async () => {
  const key = "batch-pending";
  probe.close(`${key}-hold`);
  const batch = [member(key, "add"), member(key, "holdThenAdd"), member(key, "add")];
  // The first is done in the batch's turn; the second waits at the gate; the third waits for the key's lock.
  const response = await invokeMany(key, batch);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual([{ value: "1" }, { pending: true }, { pending: true }]);
  expect(probe.count(`${key}-hold`)).toBe(1);
  probe.open(`${key}-hold`);
  const attached = [];
  for (const m of batch.slice(1)) attached.push((await rt.get(`/restate/invocation/${m.invocationId}/attach`)).body);
  expect(attached).toEqual([2, 3]);
});

test("issue 14: a crash while a batch is uncommitted answers none of its members and keeps none of their writes; sent again, each runs once, in order", async () => {
  const key = "batch-kill";
  // add, add, then a handler that never ends its turn (HANDLER_VERSION 1), then add: all four
  // admitted in one turn, the first two run to completion in it, and the commit never comes.
  const batch = [member(key, "add"), member(key, "add"), member(key, "spinThenAdd"), member(key, "add")];
  const sent = invokeMany(key, batch).then((r) => r.status, () => "lost" as const);
  await eventually(async () => !(await answersWithin(rt, 500)), 20_000, 0);
  await rt.restart({ HANDLER_VERSION: "2" });

  expect(await sent).not.toBe(200);
  expect((await admin(rt, `objects/counter/${key}/invocations`)).body.invocations ?? []).toEqual([]);
  for (const m of batch) expect((await rt.get(`/restate/invocation/${m.invocationId}/output`)).status).toBe(404);
  expect((await rt.post(`/counter/${key}/get`)).body).toBe(0);

  const again = await invokeMany(key, batch);
  expect(await again.json()).toEqual([{ value: "1" }, { value: "2" }, { value: "3" }, { value: "4" }]);
  // Sent a third time, the same ids latch onto the finished invocations: nothing runs again.
  expect(await (await invokeMany(key, batch)).json()).toEqual([{ value: "1" }, { value: "2" }, { value: "3" }, { value: "4" }]);
  expect((await rt.post(`/counter/${key}/get`)).body).toBe(4);
});

test("issue 14: concurrent calls to one hot key through the ingress each get their own result", async () => {
  const key = "batch-hot";
  const results = await Promise.all(Array.from({ length: 40 }, () => rt.post(`/counter/${key}/add`, 1)));
  expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
  expect(results.map((r) => r.body as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect((await rt.post(`/counter/${key}/get`)).body).toBe(40);
});
