/** Helpers shared by the engine tests: readable journals and both runtime modes. */
import type { Definition } from "../../sdk/define.js";
import { createTestRuntime, MemoryStore, type MemoryRuntime } from "../../src/engine/memory.js";
import { JournalHost } from "../../src/engine/journal-host.js";
import type { Entry, StepTracer, Target } from "../../src/engine/types.js";

const decoder = new TextDecoder();

/** Each runtime test runs once normally and once replaying after every entry. */
export const MODES = [
  { mode: "normal", alwaysReplay: false },
  { mode: "always-replay", alwaysReplay: true },
] as const;

export function runtime(services: Definition[], alwaysReplay = false): MemoryRuntime {
  return createTestRuntime({ services, alwaysReplay, random: seededRandom() });
}

/** A deterministic stand-in for crypto.getRandomValues: two runtimes made alike record alike journals. */
export function seededRandom(seed = 1): (bytes: Uint8Array) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x & 0xff;
    }
    return bytes;
  };
}

/** A journal entry with its payload decoded, for comparisons that print well. */
export interface Line {
  index: number;
  type: string;
  name: string;
  done: boolean;
  value?: string | null;
  failure?: string;
  /** The entry's typed facts (wakeAt, calleeId, secret, order), when its type has any. */
  facts?: Record<string, unknown>;
}

export function lines(entries: readonly Entry[]): Line[] {
  return entries.map((e) => {
    const { index: _i, type: _t, name: _n, done: _d, completion: c, ...facts } = e;
    return {
      index: e.index,
      type: e.type,
      name: e.name,
      done: e.done,
      ...(c && "value" in c ? { value: c.value === null ? null : decoder.decode(c.value) } : {}),
      ...(c && "failure" in c ? { failure: `${c.failure.name}(${c.failure.code}): ${c.failure.message}` } : {}),
      ...(Object.keys(facts).length > 0 ? { facts } : {}),
    };
  });
}

/** `type("name")` per entry: the shape of a journal at a glance. */
export function shape(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.type}(${e.name})`);
}

/**
 * A Host for driving an Attempt by hand: journal entries go to a MemoryStore holding one
 * invocation `invocationId`; no clock (time 0), a seeded random source (callee ids are drawn from it); tracing on
 * when given a `tracer`.
 */
export function standaloneHost(invocationId: string, target: Target, tracer?: StepTracer): { host: JournalHost; store: MemoryStore } {
  const store = new MemoryStore();
  const random = seededRandom();
  store.insertInvocation({ owner: "test", invocationId, target, input: new Uint8Array(0), headers: {}, invokedBy: "test" }, false, "running", null, 0);
  const host = new JournalHost(store, {
    now: () => 0,
    cancelRequested: new Set(),
    scopeOf: () => "",
    afterCommit: () => {},
    sideEffectStarted: () => {},
    randomBytes: (length) => random(new Uint8Array(length)),
    log: () => {},
    ...(tracer ? { tracer } : {}),
  });
  return { host, store };
}
