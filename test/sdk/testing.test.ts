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

describe("issue #15: the test runtime enforces concurrency and rate limits as the Durable Objects do", () => {
  /** Steps wait on gates the test opens; `running` counts the steps in flight. */
  function gated() {
    const gates = new Map<string, () => void>();
    let running = 0;
    let most = 0;
    const wait = (name: string) =>
      new Promise<string>((resolve) => {
        running++;
        most = Math.max(most, running);
        gates.set(name, () => (running--, resolve(name)));
      });
    return { wait, open: (name: string) => gates.get(name)?.(), get most() { return most; } };
  }

  test("over the limit invocations wait as ready, per limit key, and start as slots free up", async () => {
    const g = gated();
    const provider = service({
      name: "provider",
      options: { concurrency: { limit: 1 } },
      handlers: { charge: async (ctx: Context, id: string) => ctx.run("charge", () => g.wait(id)) },
    });
    const rt = createTestRuntime({ services: [provider], random: (b) => b });
    const a1 = await rt.invoke("provider", "charge", "a1", { limitKey: "a" });
    const a2 = await rt.invoke("provider", "charge", "a2", { limitKey: "a" });
    const b1 = await rt.invoke("provider", "charge", "b1", { limitKey: "b" });
    expect([a1, a2, b1].map((id) => rt.info(id).status)).toEqual(["running", "ready", "running"]);
    g.open("a1");
    await rt.settle();
    expect(rt.info(a2).status).toBe("running");
    g.open("a2");
    g.open("b1");
    await rt.settle();
    expect([a1, a2, b1].map((id) => rt.result(id))).toEqual(["a1", "a2", "b1"]);
    expect(g.most).toBe(2);
  });

  test("a rate limit starts at most `limit` per window on the fake clock", async () => {
    const rated = service({ name: "rated", options: { rate: { limit: 2, per: "1s" } }, handlers: { go: async (_ctx: Context, n: number) => n } });
    const rt = createTestRuntime({ services: [rated] });
    const ids = [];
    for (let n = 0; n < 3; n++) ids.push(await rt.invoke("rated", "go", n));
    expect(ids.map((id) => rt.info(id).status)).toEqual(["completed", "completed", "ready"]);
    await rt.advance(999);
    expect(rt.info(ids[2]!).status).toBe("ready");
    await rt.advance(1);
    expect(rt.result(ids[2]!)).toBe(2);
  });
});
