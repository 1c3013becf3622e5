/**
 * Issue 14: invocations of one key that run back to back share one commit (group
 * commit). A crash in the middle of such a batch must roll back every member and must
 * not have answered any of them; after the restart each runs once, in arrival order.
 */
import { expect, test } from "vitest";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";

let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r, p) => ((rt = r), (probe = p)), { HANDLER_VERSION: "1" });

/** Whether workerd answers a health check within `ms` (it cannot while a turn never ends). */
async function answers(ms: number): Promise<boolean> {
  try {
    await fetch(new URL("/restate/health", rt.url), { signal: AbortSignal.timeout(ms) });
    return true;
  } catch {
    return false;
  }
}

test("issue 14: a crash in the middle of a batch answers none of its invocations; after restart each runs once, in arrival order", async () => {
  const key = "batch-crash";
  probe.close(`${key}-hold`);
  type Answer = { status: number; body: unknown } | "lost";
  const sent: Promise<Answer>[] = [];
  const send = (handler: string, i: number) =>
    sent.push(rt.post(`/counter/${key}/${handler}`, handler === "add" ? 1 : undefined, { "idempotency-key": `r${i}` }).catch((): Answer => "lost"));

  // r0 holds the key's lock at the gate; r1..r4 queue behind it, one arrival at a time.
  send("holdThenAdd", 0);
  await probe.waitForHits(`${key}-hold`, 1);
  const handlers = ["add", "add", "spinThenAdd", "add"];
  for (const [i, handler] of handlers.entries()) {
    send(handler, i + 1);
    await eventually(async () => (await admin(rt, `objects/counter/${key}/invocations`)).body.invocations?.length === i + 2);
  }

  // Opening the gate lets r0 finish; r1 and r2 then run in the same turn and r3 never ends it:
  // r0..r3's writes are one uncommitted transaction when workerd is killed.
  probe.open(`${key}-hold`);
  await eventually(async () => !(await answers(500)), 20_000, 0);
  await rt.restart({ HANDLER_VERSION: "2" });

  const before = await Promise.all(sent);
  expect(before.filter((a) => a !== "lost" && a.status === 200)).toEqual([]);
  // r0's step result was in the rolled-back commit: it ran again after the restart.
  const results = [];
  for (const [i, handler] of ["holdThenAdd", ...handlers].entries()) {
    results.push((await eventually(async () => {
      const attached = await rt.get(`/restate/invocation/counter/${key}/${handler}/r${i}/attach`);
      return attached.status === 200 && attached;
    })).body);
  }
  expect(results).toEqual([1, 2, 3, 4, 5]);
  expect((await rt.post(`/counter/${key}/get`)).body).toBe(5);
  expect(probe.count(`${key}-hold`)).toBe(2);
});
