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
import { createTestRuntime as createMemoryRuntime, type FakeClock, type InvocationInfo, type InvokeOptions, type LogLine, type MemoryRuntimeOptions } from "../src/engine/memory.js";
import type { Entry } from "../src/engine/types.js";

export { FakeClock } from "../src/engine/memory.js";
export type { MemoryRuntimeOptions, InvokeOptions, InvocationInfo, InvocationStatus, LogLine } from "../src/engine/memory.js";
// The engine's types that the runtime's answers show (journal entries, targets, completions).
export type { Entry as JournalEntry, EntryType as JournalEntryType, EntryFacts, EntryOf, Settlement, Target, Completion, LogLevel, RandomSource } from "../src/engine/types.js";
export type { ErrorRecord } from "./errors.js";

/** The in-memory runtime createTestRuntime returns: invoke handlers, move the clock, crash and replay. */
export interface TestRuntime {
  readonly clock: FakeClock;
  readonly alwaysReplay: boolean;
  /** Starts an invocation as ingress would, runs it as far as it goes, and returns its id. */
  invoke(service: string, handler: string, input?: unknown, opts?: InvokeOptions): Promise<string>;
  /** Invokes and returns the handler's output; throws its terminal error, or when it has not finished. */
  call<T = unknown>(service: string, handler: string, input?: unknown, opts?: InvokeOptions): Promise<T>;
  /** The output of a finished invocation; throws its terminal error. */
  result<T = unknown>(invocationId: string): T;
  /** A snapshot of an invocation; throws for one it does not know (or forgot: a completed one is kept for its retention, 1 day by default). */
  info(invocationId: string): InvocationInfo;
  invocations(): InvocationInfo[];
  /** A copy of the stored journal of an invocation. */
  journal(invocationId: string): Entry[];
  /** A state value of a virtual object or workflow, JSON-decoded; null when unset. */
  getState<T = unknown>(service: string, key: string, name: string): T | null;
  /**
   * Completes an awakeable as `POST /restate/awakeables/{id}/resolve` does: throws a TypeError for an
   * id that does not parse (ingress: 400) and an Error for one that names no awakeable of a running
   * invocation (404); repeating a completed one is ignored (202).
   */
  resolveAwakeable(awakeableId: string, value?: unknown): Promise<void>;
  /** Rejects an awakeable; refuses ids as `resolveAwakeable` does. */
  rejectAwakeable(awakeableId: string, reason: string, code?: number): Promise<void>;
  /** Moves the clock forward, firing timers, retries, delayed starts and retention's end in time order. */
  advance(ms: number): Promise<void>;
  /** Drops the attempt in memory (as if the process died) and, unless `replay: false`, replays it at once. */
  crash(invocationId?: string, opts?: { replay?: boolean }): Promise<void>;
  /** Crashes (and replays) the invocation right after the first entry matching `predicate` is stored. */
  crashWhen(predicate: (invocationId: string, entry: Entry) => boolean): void;
  /** Replays every running invocation that has no attempt in memory. */
  recover(): Promise<void>;
  /**
   * Cancels an invocation: its waiting operations fail with CancelledError. The operators
   * below act as the admin API's routes of the same names and throw where those answer
   * 404 or 409 (an unknown invocation, or one in a status the action does not apply to).
   */
  cancel(invocationId: string): Promise<void>;
  /** Stops an invocation at once, without compensation: callers see 409 "killed". */
  kill(invocationId: string): Promise<void>;
  /** Parks a running or backing-off invocation until `resume`. */
  pause(invocationId: string): Promise<void>;
  /** Runs a paused invocation again, or a backing-off one without waiting for its back-off. */
  resume(invocationId: string): Promise<void>;
  /** Forgets a completed invocation: its id (and idempotency key, or workflow id) may be used again. */
  purge(invocationId: string): Promise<void>;
  /** Runs a completed invocation again under a new id, replaying its first `from` journal entries (default 0); the new id. */
  restartAsNew(invocationId: string, opts?: { from?: number }): Promise<string>;
  /** Lines logged by handlers (`ctx.console`) and by the runtime (retries, pauses), in order. */
  readonly logs: readonly LogLine[];
  /** Lets handlers run until nothing more happens at the current time (handlers awaiting real I/O are not waited for). */
  settle(): Promise<void>;
}

/**
 * Your services on the in-memory engine, on a fake clock (see the module's example).
 * Awakeable ids get real random secrets (crypto.getRandomValues) unless `random` says otherwise.
 */
export function createTestRuntime(options: MemoryRuntimeOptions): TestRuntime {
  return createMemoryRuntime({ random: (bytes) => crypto.getRandomValues(bytes), ...options });
}
