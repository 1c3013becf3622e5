/**
 * The in-memory runtime of the engine: what `sdk/testing.ts` re-exports so users
 * (and our own tests) run handlers in plain Node, in milliseconds, on a fake
 * clock, on the same invocation lifecycle the Durable Objects run. Pure like the
 * rest of the engine: no Cloudflare imports, no real time, no randomness.
 *
 * @example
 * const rt = createTestRuntime({ services: [greeter], alwaysReplay: true });
 * const id = await rt.invoke("greeter", "greet", "Ada");
 * await rt.advance(1_000); // fires the handler's ctx.sleep(1000)
 * expect(rt.result(id)).toBe("Hello Ada");
 */
import { MemoryRuntime, type MemoryRuntimeOptions } from "./memory-runtime.js";

export { FakeClock } from "./fake-clock.js";
export { MemoryStore } from "./memory-store.js";
export { MemoryRuntime, type InvocationInfo, type InvokeOptions, type LogLine, type MemoryRuntimeOptions } from "./memory-runtime.js";
export type { InvocationStatus } from "./invocation-row.js";

/**
 * A runtime for tests over the given definitions.
 * `alwaysReplay: true` ends the attempt after every new journal entry and
 * replays it from the journal, so a replay bug fails the test that hits it.
 */
export function createTestRuntime(options: MemoryRuntimeOptions): MemoryRuntime {
  return new MemoryRuntime(options);
}
