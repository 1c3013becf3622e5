/**
 * Test helpers for users: run your handlers in plain Node against the
 * in-memory engine, on a fake clock, with an "always replay" mode that replays
 * the journal after every step so non-determinism fails your test, not prod.
 *
 * @example
 * import { createTestRuntime } from "resolute/sdk/testing";
 * const rt = createTestRuntime({ services: [greeter], alwaysReplay: true });
 * expect(await rt.call("greeter", "greet", "Ada")).toBe("Hello, Ada!");
 */
import { createTestRuntime as createMemoryRuntime, type MemoryRuntime, type MemoryRuntimeOptions } from "../src/engine/memory.js";

export { FakeClock, MemoryRuntime } from "../src/engine/memory.js";
export type { MemoryRuntimeOptions, InvokeOptions, InvocationInfo, InvocationStatus } from "../src/engine/memory.js";

/**
 * A runtime for tests over the given definitions (see MemoryRuntimeOptions).
 * `alwaysReplay: true` ends the attempt after every new journal entry and replays
 * it from the journal, so a replay bug fails the test that hits it. Awakeable ids
 * get real random secrets (crypto.getRandomValues) unless `random` says otherwise.
 * @example
 * const rt = createTestRuntime({ services: [greeter], alwaysReplay: true });
 * expect(await rt.call("greeter", "greet", "Ada")).toBe("Hello, Ada!");
 */
export function createTestRuntime(options: MemoryRuntimeOptions): MemoryRuntime {
  return createMemoryRuntime({ random: (bytes) => crypto.getRandomValues(bytes), ...options });
}
