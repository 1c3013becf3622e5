/**
 * Issue #10 (defect 5, defence in depth): a storage write that fails while an
 * invocation finishes (SQLITE_TOOBIG in the invocations row, as an 800 KB value
 * added twice caused) completes it with a small terminal failure, answers its
 * callers, releases the key's lock and logs; it never leaves it running. The rule
 * is the lifecycle's (store-completion.ts), so it holds on every store.
 */
import { describe, expect, it } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { object } from "../../sdk/define.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import { Lifecycle } from "../../src/engine/lifecycle.js";
import { MemoryStore } from "../../src/engine/memory-store.js";
import { Registry } from "../../src/engine/registry.js";
import type { Completion } from "../../src/engine/types.js";

const TOO_BIG = "string or blob too big: SQLITE_TOOBIG";
const OWNER = "o:counter:k";

/** A store whose `complete` fails its first `failures` calls. */
class FailingStore extends MemoryStore {
  constructor(private failures: number) {
    super();
  }
  override complete(id: string, completion: Completion, now: number, expiresAt: number): void {
    if (this.failures-- > 0) throw new Error(TOO_BIG);
    super.complete(id, completion, now, expiresAt);
  }
}

function setUp(failures: number) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const counter = object({ name: "counter", handlers: { hold: async (ctx: ObjectContext) => ctx.run("wait", () => gate.then(() => "done")) } });
  const registry = new Registry([counter]);
  const store = new FailingStore(failures);
  const errors: string[] = [];
  const driver = { now: () => 1_000, wakeBy: () => {}, executing: () => {}, deliverSoon: () => {}, randomBytes: (n: number) => new Uint8Array(n), log: (level: string, _id: string, args: unknown[]) => void (level === "error" && errors.push(String(args[0]))) };
  const lifecycle = new Lifecycle(store, driver, { registry, kinds: { kindOf: () => "object", serviceShards: 1 } });
  const request = (suffix: string) => ({ owner: OWNER, invocationId: makeInvocationId(OWNER, suffix), target: { service: "counter", handler: "hold", key: "k" }, input: new TextEncoder().encode("null"), headers: {}, invokedBy: "ingress" });
  const answer = lifecycle.invoke(request("first"));
  lifecycle.admit(request("second"));
  return { lifecycle, store, errors, answer, release, first: makeInvocationId(OWNER, "first"), second: makeInvocationId(OWNER, "second") };
}

describe("issue #10: finishing an invocation whose result cannot be stored", () => {
  it("completes it with a small failure, answers the caller, frees the key and logs", async () => {
    const { lifecycle, store, errors, answer, release, first, second } = setUp(1);
    expect(lifecycle.lockHolder).toBe(first);
    release();
    expect(await answer).toMatchObject({ ok: false, error: { name: "TerminalError", code: 500, message: expect.stringContaining(`its result could not be stored: ${TOO_BIG}`) } });
    expect(store.invocation(first)?.completion).toEqual({ failure: expect.objectContaining({ code: 500 }) });
    expect(lifecycle.lockHolder).toBe(second); // the next queued invocation got the lock
    expect(errors.join("\n")).toContain("could not be stored");
  });

  it("does not throw even when storage refuses the failure too", async () => {
    const { lifecycle, store, answer, release, first, second } = setUp(2);
    release();
    expect(await answer).toMatchObject({ ok: false });
    expect(lifecycle.lockHolder).toBe(second);
    expect(store.invocation(first)?.status).toBe("running"); // a restart replays it
  });
});
