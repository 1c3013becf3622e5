/**
 * An invocation admitted with an empty journal starts with nothing read back, whether it
 * waited for the key's lock, for its time or for a limit slot: the lifecycle knows its
 * journal is empty and that it never asked for a slot (review of issue 14's hot path).
 */
import { describe, expect, it } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { object } from "../../sdk/define.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import { Lifecycle } from "../../src/engine/lifecycle.js";
import { MemoryStore } from "../../src/engine/memory-store.js";
import { Registry } from "../../src/engine/registry.js";
import type { Entry } from "../../src/engine/types.js";
import type { LimitSlot } from "../../src/engine/lifecycle-store.js";

/** Counts what a start reads back. */
class CountingStore extends MemoryStore {
  journalReads = 0;
  slotReads = 0;
  override journal(inv: string): Entry[] {
    this.journalReads++;
    return super.journal(inv);
  }
  override slot(inv: string): LimitSlot | undefined {
    this.slotReads++;
    return super.slot(inv);
  }
}

const OWNER = "o:counter:k";

function setUp() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const add = async (ctx: ObjectContext) => ((await ctx.get<number>("n")) ?? 0) + 1;
  const counter = object({ name: "counter", handlers: { add, hold: async (ctx: ObjectContext) => ctx.run("wait", () => gate.then(() => 0)) } });
  const limited = object({ name: "limited", options: { concurrency: { limit: 1 } }, handlers: { add } });
  const store = new CountingStore();
  let now = 1_000;
  const driver = { now: () => now, wakeBy: () => {}, executing: () => {}, deliverSoon: () => {}, randomBytes: (n: number) => new Uint8Array(n), log: () => {} };
  const lifecycle = new Lifecycle(store, driver, { registry: new Registry([counter, limited]), kinds: { kindOf: () => "object", serviceShards: 1 } });
  const request = (service: string, handler: string, suffix: string, delayMs?: number) => ({
    owner: OWNER, invocationId: makeInvocationId(OWNER, suffix), target: { service, handler, key: "k" }, input: new Uint8Array(0), headers: {}, invokedBy: "ingress", ...(delayMs ? { delayMs } : {}),
  });
  return { lifecycle, store, release, request, later: (ms: number) => (now += ms) };
}

describe("fresh starts read nothing back", () => {
  it("a scheduled invocation starts at its time without reading its journal", async () => {
    const { lifecycle, store, request, later } = setUp();
    const answer = lifecycle.invoke(request("counter", "add", "delayed", 500));
    later(500);
    expect(lifecycle.fireDue()).toBe(1);
    expect((await answer).ok).toBe(true);
    expect(store.journalReads).toBe(0);
  });

  it("a limited invocation queued behind the lock asks for its slot without reading an earlier ask", async () => {
    const { lifecycle, store, release, request } = setUp();
    const first = lifecycle.invoke(request("counter", "hold", "first"));
    lifecycle.admit(request("limited", "add", "queued")); // the same owner: it waits for the lock as pending
    release();
    await first;
    expect(store.slotReads).toBe(0);
    expect(store.journalReads).toBe(0);
  });
});
