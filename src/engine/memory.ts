/**
 * The in-memory runtime of the engine: what `sdk/testing.ts` re-exports so users
 * (and our own tests) run handlers in plain Node, in milliseconds, on a fake
 * clock. Pure like the rest of the engine: no Cloudflare imports, no real time,
 * no randomness.
 *
 * @example
 * const rt = createTestRuntime({ services: [greeter], alwaysReplay: true });
 * const id = await rt.invoke("greeter", "greet", "Ada");
 * await rt.advance(1_000); // fires the handler's ctx.sleep(1000)
 * expect(rt.result(id)).toBe("Hello Ada");
 */
import { MemoryRuntime, type MemoryRuntimeOptions } from "./memory-runtime.js";

export { FakeClock, MemoryHost, type LogLine, type MemoryHostEvents, type MemoryTimer, type OutboxItem } from "./memory-host.js";
export { MemoryRuntime, type InvokeOptions, type MemoryRuntimeOptions } from "./memory-runtime.js";
export type { InvocationInfo, InvocationStatus } from "./memory-invocations.js";

/**
 * A runtime for tests over the given definitions.
 * `alwaysReplay: true` ends the attempt after every new journal entry and
 * replays it from the journal, so a replay bug fails the test that hits it.
 */
export function createTestRuntime(options: MemoryRuntimeOptions): MemoryRuntime {
  return new MemoryRuntime(options);
}
