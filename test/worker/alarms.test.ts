/**
 * Issue #10 (defect 1): timers always fire, whatever a crash left in storage.
 * The state SIGKILLs left behind is rebuilt on purpose (test/worker/fixtures/
 * stale-alarm.ts): the object's storage reports an alarm in the past while
 * workerd's alarm scheduler holds none, so nothing would ever fire it.
 */
import { expect, test } from "vitest";
import { WorkerdRuntime, admin, eventually } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
const STALE_ALARM = "test/worker/fixtures/stale-alarm.ts";
const OBJECT = "o:counter:stale";

test("issue #10: an object whose stored alarm is in the past with no scheduler row re-arms when it wakes, and its sleep ends", async () => {
  const first = await WorkerdRuntime.start({ entry: ENTRY });
  const persistDir = first.persistDir;
  let last: WorkerdRuntime | undefined;
  try {
    const sent = await first.post("/counter/stale/sleepThenAdd/send", 6_000);
    expect(sent.status).toBe(202);
    const id: string = sent.body.invocationId;
    await first.dispose(true);

    const bare = await WorkerdRuntime.start({ entry: STALE_ALARM, persistDir });
    try {
      await bare.get(`/arm?object=${OBJECT}`);
      const state = await eventually(async () => {
        const { body } = await bare.get(`/state?object=${OBJECT}`);
        return body.trapped && body.alarm !== null ? body : undefined;
      });
      expect(state.alarm).toBeLessThan(Date.now()); // storage says "past", the scheduler has nothing
    } finally {
      await bare.dispose(true);
    }

    last = await WorkerdRuntime.start({ entry: ENTRY, persistDir });
    const runtime = last;
    expect((await runtime.post("/counter/stale/get")).body).toBe(0); // any request wakes the object
    const output = await eventually(async () => {
      const res = await runtime.get(`/restate/invocation/${id}/output`);
      return res.status === 200 ? res : undefined;
    }, 25_000);
    expect(output.body).toBe(1);
  } finally {
    await last?.dispose();
  }
});

test("issue #10: a purged invocation leaves no timer behind (a timer row with no journal entry stayed due forever)", async () => {
  const rt = await WorkerdRuntime.start({ entry: ENTRY });
  try {
    const sent = await rt.post("/counter/purged/sleepThenAdd/send", 3_600_000);
    const id: string = sent.body.invocationId;
    const timers = async () => {
      const res = await rt.fetch("/restate/admin/objects/counter/purged/query", {
        method: "POST",
        headers: { authorization: "Bearer test-token", "content-type": "application/json" },
        body: JSON.stringify({ query: "SELECT count(*) AS n FROM timers" }),
      });
      return ((await res.json()) as { rows: { n: number }[] }).rows[0]!.n;
    };
    await eventually(async () => (await timers()) === 1);
    expect((await admin(rt, `invocations/${id}/kill`, "PATCH")).status).toBe(202);
    expect((await admin(rt, `invocations/${id}/purge`, "PATCH")).status).toBe(202);
    expect(await timers()).toBe(0);
  } finally {
    await rt.dispose();
  }
});
