/**
 * Test helpers for users: run your handlers in plain Node against the
 * in-memory engine, on a fake clock, with an "always replay" mode that replays
 * the journal after every step so non-determinism fails your test, not prod.
 *
 * @example
 * import { createTestRuntime } from "resolute/testing";
 * const rt = createTestRuntime({ services: [greeter], alwaysReplay: true });
 * expect(await rt.call("greeter", "greet", "Ada")).toBe("Hello, Ada!");
 */
export { createTestRuntime, FakeClock, MemoryRuntime } from "../src/engine/memory.js";
export type { MemoryRuntimeOptions, InvokeOptions, InvocationInfo, InvocationStatus } from "../src/engine/memory.js";
