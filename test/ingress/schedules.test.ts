/** Schedules are checked when the Worker is built, and a tick sends one keyed invocation per match (Node). */
import { describe, expect, test } from "vitest";
import type { InvokeRequest } from "../../src/durable/protocol.js";
import { createScheduler, type Schedule } from "../../src/ingress/schedules.js";
import { targetKinds } from "../../src/ingress/invocation-id.js";
import { registry } from "./fixtures.js";

const kinds = targetKinds(registry(), 4);
const build = (schedules: Schedule[]) => () => createScheduler(schedules, registry(), kinds, 64);

describe("checked at start-up", () => {
  test.each([
    [{ cron: " ", service: "greeter", handler: "greet" }, "the cron is empty"],
    [{ cron: "* * * * *", service: "nope", handler: "greet" }, "no service 'nope'"],
    [{ cron: "* * * * *", service: "greeter", handler: "nope" }, "has no handler 'nope'"],
    [{ cron: "* * * * *", service: "counter", handler: "add" }, "an object needs a key"],
    [{ cron: "* * * * *", service: "greeter", handler: "greet", key: "k" }, "a service takes no key"],
  ])("%o is refused: %s", (schedule, message) => {
    expect(build([schedule])).toThrow(message);
  });
});

test("a tick sends each matching schedule once, with the tick in its idempotency key and its input serialized", async () => {
  const sent: InvokeRequest[] = [];
  const env = { RESOLUTE: { idFromName: (name: string) => name, get: () => ({ send: async (r: InvokeRequest) => void sent.push(r) }) } as unknown as DurableObjectNamespace };
  const tick = build([
    { cron: "0 * * * *", service: "greeter", handler: "greet", input: "cron" },
    { cron: "0 * * * *", service: "counter", handler: "add", key: "k", input: 2 },
    { cron: "*/5 * * * *", service: "greeter", handler: "greet" },
  ])();
  await tick({ cron: "0 * * * *", scheduledTime: Date.parse("2026-11-22T10:00:00Z") }, env);
  expect(sent.map((r) => [r.target, new TextDecoder().decode(r.input), r.idempotencyKey, r.invokedBy])).toEqual([
    [{ service: "greeter", handler: "greet" }, '"cron"', "cron 0 * * * * 2026-11-22T10:00:00.000Z", "cron"],
    [{ service: "counter", handler: "add", key: "k" }, "2", "cron 0 * * * * 2026-11-22T10:00:00.000Z", "cron"],
  ]);
});
