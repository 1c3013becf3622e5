/** The user-facing test helpers run the examples' handlers in memory, in always-replay mode. */
import { describe, expect, test } from "vitest";
import { createTestRuntime } from "../../sdk/testing.js";
import { greeter } from "../../examples/greeter/greeter.js";
import { counter } from "../../examples/counter/counter.js";

describe("sdk/testing", () => {
  test("runs a service and an object, replaying after every step", async () => {
    const rt = createTestRuntime({ services: [greeter, counter], alwaysReplay: true });
    expect(await rt.call("greeter", "greet", "Ada")).toBe("Hello, Ada!");
    expect(await rt.call("counter", "add", 2, { key: "k" })).toBe(2);
    expect(await rt.call("counter", "add", 3, { key: "k" })).toBe(5);
    expect(await rt.call("counter", "get", undefined, { key: "k" })).toBe(5);
  });
});
