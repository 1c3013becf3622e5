/**
 * Cron schedules on the real runtime: a Cron Trigger tick starts each matching
 * schedule's handler once, a repeated tick (Cron Triggers are at-least-once)
 * starts nothing more, and the next tick runs again. Also across a restart.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { WorkerdRuntime, admin, eventually } from "../support/runtime.js";

let rt: WorkerdRuntime;
beforeAll(async () => {
  rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/cron-worker.ts" });
});
afterAll(async () => {
  await rt?.dispose();
});

const seen = async (key: string): Promise<string[]> => {
  const state = (await admin(rt, `objects/ticks/${key}/state`)).body.state as { key: string; value_utf8: string }[];
  const entry = state.find((s) => s.key === "seen");
  return entry ? (JSON.parse(entry.value_utf8) as string[]) : [];
};

test("a tick starts every schedule with that cron, once", async () => {
  expect(await rt.scheduled("0 * * * *", new Date("2026-11-22T10:00:00Z"))).toBe("ok");
  await eventually(async () => (await seen("hourly")).length === 1 && (await seen("five")).length === 1);
  expect(await seen("hourly")).toEqual(["hour"]);
  expect(await seen("five")).toEqual(["hour-too"]);

  // The same tick again: the idempotency key (cron + tick time) latches onto the first.
  expect(await rt.scheduled("0 * * * *", new Date("2026-11-22T10:00:00Z"))).toBe("ok");
  expect(await rt.scheduled("*/5 * * * *", new Date("2026-11-22T10:05:00Z"))).toBe("ok");
  await eventually(async () => (await seen("five")).length === 2);
  expect(await seen("hourly")).toEqual(["hour"]);
  expect(await seen("five")).toEqual(["hour-too", "five-minutes"]);

  const invocations = (await admin(rt, "objects/ticks/hourly/invocations")).body.invocations as { invoked_by: string; idempotency_key: string }[];
  expect(invocations).toEqual([expect.objectContaining({ invoked_by: "cron", idempotency_key: "cron 0 * * * * 2026-11-22T10:00:00.000Z" })]);
});

test("a tick repeated after a restart is still deduplicated; the next one runs", async () => {
  await rt.restart();
  expect(await rt.scheduled("0 * * * *", new Date("2026-11-22T10:00:00Z"))).toBe("ok");
  expect(await rt.scheduled("0 * * * *", new Date("2026-11-22T11:00:00Z"))).toBe("ok");
  await eventually(async () => (await seen("hourly")).length === 2);
  expect(await seen("hourly")).toEqual(["hour", "hour"]);
});

test("a cron no schedule lists starts nothing", async () => {
  expect(await rt.scheduled("15 3 * * *", new Date("2026-11-22T03:15:00Z"))).toBe("ok");
  await new Promise((r) => setTimeout(r, 200));
  expect(await seen("hourly")).toHaveLength(2);
});
