/**
 * The backstop for awaits outside ctx.run (Lifecycle.checkExecuting, issue 14): an attempt
 * still executing when a later event arrives arms the recovery wake-up; the arrivals of one
 * batch (a hot key's group commit) do not arm it for the attempt started among them, which
 * has awaited nothing yet.
 */
import { describe, expect, it } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { object } from "../../sdk/define.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import { Lifecycle } from "../../src/engine/lifecycle.js";
import { MemoryStore } from "../../src/engine/memory-store.js";
import { Registry } from "../../src/engine/registry.js";

const OWNER = "o:waiter:k";

function setUp() {
  let release!: () => void;
  const outside = new Promise<void>((resolve) => (release = resolve));
  // Awaits I/O outside ctx.run: only the backstop knows it is executing.
  const waiter = object({ name: "waiter", handlers: { go: async (_ctx: ObjectContext) => (await outside, "done") } });
  const registry = new Registry([waiter]);
  const armed: boolean[] = [];
  const driver = { now: () => 1_000, wakeBy: () => {}, executing: (e: boolean) => void armed.push(e), deliverSoon: () => {}, randomBytes: (n: number) => new Uint8Array(n), log: () => {} };
  const lifecycle = new Lifecycle(new MemoryStore(), driver, { registry, kinds: { kindOf: () => "object", serviceShards: 1 } });
  let n = 0;
  const arrive = () => {
    lifecycle.checkExecuting();
    const invocationId = makeInvocationId(OWNER, `r${n++}`);
    return lifecycle.invoke({ owner: OWNER, invocationId, target: { service: "waiter", handler: "go", key: "k" }, input: new Uint8Array(0), headers: {}, invokedBy: "ingress" });
  };
  return { arrive, armed, release };
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the executing backstop (issue 14)", () => {
  it("arms the recovery wake-up when an attempt from an earlier turn still executes", async () => {
    const { arrive, armed, release } = setUp();
    const first = arrive();
    await nextTurn(); // the handler now awaits `outside`
    void arrive();
    expect(armed).toContain(true);
    release();
    expect((await first).ok).toBe(true);
  });

  it("does not arm it for an attempt started by an arrival of the same batch", async () => {
    const { arrive, armed, release } = setUp();
    const batch = [arrive(), arrive(), arrive()];
    expect(armed).not.toContain(true);
    release();
    for (const answer of await Promise.all(batch)) expect(answer.ok).toBe(true);
  });
});
