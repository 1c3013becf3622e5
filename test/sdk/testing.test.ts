/** The user-facing test helpers run the examples' handlers in memory, in always-replay mode. */
import { describe, expect, test } from "vitest";
import { createTestRuntime } from "../../sdk/testing.js";
import { greeter } from "../../examples/greeter/greeter.js";
import { counter } from "../../examples/counter/counter.js";
import { handlers, service } from "../../sdk/define.js";
import type { Context } from "../../sdk/context.js";

describe("sdk/testing", () => {
  test("runs a service and an object, replaying after every step", async () => {
    const rt = createTestRuntime({ services: [greeter, counter], alwaysReplay: true });
    expect(await rt.call("greeter", "greet", "Ada")).toBe("Hello, Ada!");
    expect(await rt.call("counter", "add", 2, { key: "k" })).toBe(2);
    expect(await rt.call("counter", "add", 3, { key: "k" })).toBe(5);
    expect(await rt.call("counter", "get", undefined, { key: "k" })).toBe(5);
  });
});

describe("issue #11: the test runtime runs the Durable Objects' lifecycle", () => {
  const flaky = service({
    name: "flaky",
    handlers: {
      call: handlers.handler({ retryPolicy: { maxAttempts: 2, initialInterval: 100, onMaxAttempts: "pause" } }, async (ctx: Context, n: number) => {
        await ctx.run("step", () => {
          if (n > 0) throw new Error("down");
          return "up";
        });
        return n;
      }),
    },
  });

  test("a completed invocation is forgotten when its retention ends (1 day by default)", async () => {
    const rt = createTestRuntime({ services: [greeter] });
    const id = await rt.invoke("greeter", "greet", "Ada");
    await rt.advance(86_400_000 - 1);
    expect(rt.result(id)).toBe("Hello, Ada!");
    await rt.advance(1);
    expect(() => rt.info(id)).toThrow(/Unknown invocation/);
  });

  test("purge forgets a completed invocation only; its idempotency key then runs again", async () => {
    const rt = createTestRuntime({ services: [counter] });
    const first = await rt.invoke("counter", "add", 1, { key: "k", idempotencyKey: "once" });
    expect(await rt.call("counter", "add", 1, { key: "k", idempotencyKey: "once" })).toBe(1);
    await rt.purge(first);
    expect(await rt.call("counter", "add", 1, { key: "k", idempotencyKey: "once" })).toBe(2);
    await expect(rt.purge(first)).resolves.toBeUndefined();
    await expect(rt.purge(first)).rejects.toThrow(/not found/);
  });

  test("restart-as-new runs a completed invocation again under a new id, replaying its first `from` entries", async () => {
    const rt = createTestRuntime({ services: [counter] });
    const first = await rt.invoke("counter", "add", 2, { key: "k" });
    const again = await rt.restartAsNew(first, { from: 1 }); // copies the recorded get: count was 0 then
    expect(again).not.toBe(first);
    expect(rt.result(again)).toBe(2);
    expect(rt.getState("counter", "k", "count")).toBe(2);
    expect(rt.info(again).target).toEqual({ service: "counter", handler: "add", key: "k" });
  });

  test("resume refuses what is not paused or backing off; pause parks a backing-off invocation", async () => {
    const rt = createTestRuntime({ services: [flaky] });
    const done = await rt.invoke("flaky", "call", 0);
    await expect(rt.resume(done)).rejects.toThrow(/is already completed/);
    const failing = await rt.invoke("flaky", "call", 1);
    expect(rt.info(failing).status).toBe("backing-off");
    await rt.pause(failing);
    await rt.advance(1_000);
    expect(rt.info(failing)).toMatchObject({ status: "paused", failures: 1 });
    await rt.resume(failing);
    expect(rt.info(failing)).toMatchObject({ status: "paused", failures: 2 }); // out of attempts
    expect(rt.logs.map((l) => l.args[0])).toContainEqual("paused: gave up after 2 attempts: down");
  });
});
