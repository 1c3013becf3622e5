/**
 * The handlers on Resolute's in-memory runtime, in Node: no Worker, no network. `alwaysReplay`
 * replays the journal after every step, so a handler that would not replay the same way fails
 * here rather than in production.
 */
import { describe, expect, it } from "vitest";
import { createTestRuntime } from "resolute/testing";
import { counter, greeter } from "../src/worker.js";

describe("worker", () => {
  const rt = createTestRuntime({ services: [greeter, counter], alwaysReplay: true });

  it("greets", async () => {
    expect(await rt.call("greeter", "greet", "Ada")).toBe("Hello, Ada!");
  });

  it("refuses an empty name without retrying", async () => {
    await expect(rt.call("greeter", "greet", "")).rejects.toThrow("say who to greet");
  });

  it("counts per key", async () => {
    await rt.call("counter", "add", 2, { key: "a" });
    expect(await rt.call("counter", "add", 3, { key: "a" })).toBe(5);
    expect(await rt.call("counter", "get", undefined, { key: "b" })).toBe(0);
  });
});
