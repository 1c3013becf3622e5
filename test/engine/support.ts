/** Helpers shared by the engine tests: readable journals and both runtime modes. */
import type { Definition } from "../../sdk/define.js";
import { createTestRuntime, type MemoryRuntime } from "../../src/engine/memory.js";
import type { Entry } from "../../src/engine/types.js";

const decoder = new TextDecoder();

/** Each runtime test runs once normally and once replaying after every entry. */
export const MODES = [
  { mode: "normal", alwaysReplay: false },
  { mode: "always-replay", alwaysReplay: true },
] as const;

export function runtime(services: Definition[], alwaysReplay = false): MemoryRuntime {
  return createTestRuntime({ services, alwaysReplay });
}

/** A journal entry with its payload decoded, for comparisons that print well. */
export interface Line {
  index: number;
  type: string;
  name: string;
  done: boolean;
  value?: string | null;
  failure?: string;
  data?: string;
}

export function lines(entries: readonly Entry[]): Line[] {
  return entries.map((e) => {
    const c = e.completion;
    return {
      index: e.index,
      type: e.type,
      name: e.name,
      done: e.done,
      ...(c && "value" in c ? { value: c.value === null ? null : decoder.decode(c.value) } : {}),
      ...(c && "failure" in c ? { failure: `${c.failure.name}(${c.failure.code}): ${c.failure.message}` } : {}),
      ...(e.data !== undefined ? { data: e.data } : {}),
    };
  });
}

/** `type("name")` per entry: the shape of a journal at a glance. */
export function shape(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.type}(${e.name})`);
}
