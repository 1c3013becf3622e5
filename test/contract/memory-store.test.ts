/** The lifecycle contract (lifecycle-cases.ts) against the memory store, in Node. */
import { describe, it } from "vitest";
import { MemoryStore } from "../../src/engine/memory-store.js";
import { CASES, runCase } from "./lifecycle-cases.js";

describe("issue #11: the lifecycle contract on the memory store", () => {
  for (const name of Object.keys(CASES)) it(name, () => runCase(name, new MemoryStore()));
});
