/**
 * The admin API's invocation actions on the real runtime (issue #11): `resume` starts
 * only a paused invocation (or a backing-off one, skipping its back-off), and answers
 * 409 with the reason for anything else — a pending exclusive invocation must not run
 * beside the lock holder, a running one must not start twice, a scheduled one not early.
 * `pause` parks a running invocation until `resume`.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

const status = async (id: string): Promise<string> => (await admin(rt, `invocations/${id}`)).body.status;
const send = async (path: string, body: unknown): Promise<string> => (await rt.post(path, body)).body.invocationId;

/** `action` on `id` is refused with 409 and a message containing `reason`. */
async function expectRefused(id: string, action: "pause" | "resume", reason: string): Promise<void> {
  const res = await admin(rt, `invocations/${id}/${action}`, "PATCH");
  expect(res.status).toBe(409);
  expect(res.body.message).toContain(reason);
}

describe("issue #11: PATCH invocations/{id}/resume", () => {
  test("refuses a pending invocation: it stays queued behind the key's lock holder", async () => {
    const holder = await send("/counter/resume-pending/sleepThenAdd/send", 3_600_000); // holds the lock for an hour
    await eventually(async () => (await status(holder)) === "suspended");
    const queued = await send("/counter/resume-pending/add/send", 5);
    expect(await status(queued)).toBe("pending");
    await expectRefused(queued, "resume", `invocation '${queued}' is pending: it waits for the key's lock (held by '${holder}')`);
    await new Promise((r) => setTimeout(r, 200));
    expect(await status(queued)).toBe("pending");
    expect((await rt.post("/counter/resume-pending/get")).body).toBe(0); // the queued add did not run beside the holder
  });

  test("refuses a running invocation: its ctx.run in flight does not execute twice", async () => {
    probe.close("resume-running-3");
    const id = await send("/steps/three/send", "resume-running");
    await probe.waitForHits("resume-running-3", 1);
    await expectRefused(id, "resume", "is running: resuming it would start it a second time");
    probe.open("resume-running-3");
    expect((await rt.get(`/restate/invocation/${id}/attach`)).status).toBe(200);
    expect(probe.count("resume-running-3")).toBe(1);
  });

  test("refuses a scheduled invocation: it does not start early", async () => {
    const id = await send("/counter/resume-scheduled/add/send?delay=1h", 1);
    await expectRefused(id, "resume", "is scheduled to start at");
    expect(await status(id)).toBe("scheduled");
    expect((await rt.post("/counter/resume-scheduled/get")).body).toBe(0);
  });

  test("runs a paused invocation again; unknown ids are 404 and completed ones 409", async () => {
    const id = await send("/steps/pauseForReview/send", "resume-paused");
    await eventually(async () => (await status(id)) === "paused");
    expect((await admin(rt, `invocations/${id}/resume`, "PATCH")).status).toBe(202);
    expect(await rt.get(`/restate/invocation/${id}/attach`)).toMatchObject({ status: 200, body: 2 });
    await expectRefused(id, "resume", "is already completed");
    const unknown = await admin(rt, `invocations/${id.replace(/\.[^.]+$/, ".nosuch")}/resume`, "PATCH");
    expect(unknown.status).toBe(404);
  });
});

describe("issue #11: PATCH invocations/{id}/pause", () => {
  test("parks a running invocation until it is resumed; its step in flight runs again then", async () => {
    probe.close("pause-running-3");
    const id = await send("/steps/three/send", "pause-running");
    await probe.waitForHits("pause-running-3", 1);
    expect((await admin(rt, `invocations/${id}/pause`, "PATCH")).status).toBe(202);
    expect(await status(id)).toBe("paused");
    probe.open("pause-running-3"); // the dropped attempt's step finishes, unrecorded
    await new Promise((r) => setTimeout(r, 200));
    expect(await status(id)).toBe("paused");
    expect((await admin(rt, `invocations/${id}/resume`, "PATCH")).status).toBe(202);
    expect(await rt.get(`/restate/invocation/${id}/attach`)).toMatchObject({ status: 200 });
    expect([1, 2].map((step) => probe.count(`pause-running-${step}`))).toEqual([1, 1]); // replayed, not run again
    expect(probe.count("pause-running-3")).toBe(2);
  });

  test("refuses what has not started or has completed", async () => {
    const scheduled = await send("/counter/pause-scheduled/add/send?delay=1h", 1);
    await expectRefused(scheduled, "pause", "has not started");
    const done = await send("/counter/pause-done/add/send", 1);
    await eventually(async () => (await status(done)) === "completed");
    await expectRefused(done, "pause", "is already completed");
  });
});
