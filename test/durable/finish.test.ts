/**
 * Issue #10 (defect 5, defence in depth): a storage write that fails while an
 * invocation finishes (SQLITE_TOOBIG in the invocations row, as an 800 KB value
 * added twice caused) completes it with a small terminal failure, answers its
 * callers, releases the key's lock and logs; it never leaves it running.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { object } from "../../sdk/define.js";
import { Registry } from "../../src/engine/registry.js";
import { Runtime } from "../../src/durable/runtime.js";
import { newRow, STATUS } from "../../src/engine/invocation-row.js";
import type { Store } from "../../src/durable/store.js";
import type { Completion } from "../../src/engine/types.js";

const counter = object({ name: "counter", handlers: { add: async (_ctx: ObjectContext, n: number) => n } });
const TOO_BIG = "string or blob too big: SQLITE_TOOBIG";

/** The few Store calls finishing makes; `complete` fails `failures` times. */
function fakeStore(failures: number) {
  const completed: Completion[] = [];
  const store = {
    transaction: <T>(fn: () => T) => fn(),
    complete: (_id: string, completion: Completion) => {
      if (failures-- > 0) throw new Error(TOO_BIG);
      completed.push(completion);
    },
    takeSubscribers: () => [],
    enqueue: () => {},
    nextPending: () => "inv-next",
    invocation: () => undefined,
  };
  return { store: store as unknown as Store, completed };
}

function runtimeOver(store: Store): Runtime {
  const hooks = { now: () => 1_000, alarmBy: () => {}, recovery: () => {}, flushOutbox: () => {} };
  return new Runtime(store, new Registry([counter]), { kindOf: () => "object", serviceShards: 1 }, hooks);
}

const row = newRow(1, { owner: "o:counter:k", invocationId: "inv-1", target: { service: "counter", handler: "add", key: "k" }, input: new Uint8Array(0), headers: {}, invokedBy: "ingress" }, true, STATUS.running, null, 0);
const result: Completion = { value: new TextEncoder().encode(`"${"x".repeat(100)}"`) };

afterEach(() => vi.restoreAllMocks());

describe("issue #10: finishing an invocation whose result cannot be stored", () => {
  it("completes it with a small failure, answers the caller, frees the key and logs", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { store, completed } = fakeStore(1);
    const runtime = runtimeOver(store);
    runtime.lockHeldBy("inv-1");
    const answer = runtime.wait("inv-1");
    runtime.finish("inv-1", result, row);
    expect(await answer).toMatchObject({ ok: false, error: { name: "TerminalError", code: 500, message: expect.stringContaining(`its result could not be stored: ${TOO_BIG}`) } });
    expect(completed).toEqual([{ failure: expect.objectContaining({ code: 500 }) }]);
    expect(runtime.lockHolder).toBe("inv-next"); // the next queued invocation got the lock
    expect(errors.mock.calls.join("\n")).toContain("could not be stored");
  });

  it("does not throw even when storage refuses the failure too", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { store } = fakeStore(2);
    const runtime = runtimeOver(store);
    runtime.lockHeldBy("inv-1");
    const answer = runtime.wait("inv-1");
    expect(() => runtime.finish("inv-1", result, row)).not.toThrow();
    expect(await answer).toMatchObject({ ok: false });
    expect(runtime.lockHolder).toBe("inv-next");
  });
});
