/**
 * Issue #15, the end's release (limit-slots.ts endSlot): sent once, only after the
 * transaction that took the slot committed (the store's after-commit queue), never after
 * one that rolled back; and the queue itself (TransactionHooks), as both stores run it.
 */
import { describe, expect, it } from "vitest";
import { finishedSlot, type SlotHost } from "../../src/engine/limit-slots.js";
import { MemoryStore } from "../../src/engine/memory-store.js";
import { TransactionHooks } from "../../src/engine/transaction-hooks.js";
import type { Delivery } from "../../src/engine/messages.js";

const ID = "inv_limited";

function host(): { h: SlotHost; sent: Delivery[]; logged: unknown[][] } {
  const store = new MemoryStore();
  store.saveSlot(ID, { limiter: "limiter/k", round: 7 });
  const sent: Delivery[] = [];
  const logged: unknown[][] = [];
  const driver = { now: () => 1_000, deliverSoon: () => {}, log: (_level: string, _id: string, args: unknown[]) => void logged.push(args), sendOnce: (_owner: string, d: Delivery) => void sent.push(d) };
  return { h: { store, driver, setStatus: () => {} }, sent, logged };
}

describe("issue #15: an ended invocation's release is sent once its end commits", () => {
  it("sent after the transaction returns, not inside it", () => {
    const { h, sent } = host();
    h.store.transaction(() => {
      finishedSlot(h, ID, false, 1_000);
      expect(sent).toEqual([]);
    });
    expect(sent).toEqual([{ kind: "release", owner: "limiter/k", invocationId: ID, round: 7 }]);
  });

  it("not sent when the end's transaction throws (its slot is still held), even where the store's read does not show the rollback", async () => {
    const { h, sent } = host();
    expect(() =>
      h.store.transaction(() => {
        finishedSlot(h, ID, false, 1_000);
        throw new Error("the end could not be stored");
      }),
    ).toThrow("the end could not be stored");
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
  });

  it("a send that throws is logged, not thrown from the committed transaction", () => {
    const { h, logged } = host();
    h.driver.sendOnce = () => {
      throw new Error("no stub");
    };
    h.store.transaction(() => void finishedSlot(h, ID, false, 1_000));
    expect(String(logged[0]?.[0])).toContain("could not be released (no stub)");
  });
});

describe("TransactionHooks: after-commit and rollback work follows the outermost transaction", () => {
  const atomically = (hooks: TransactionHooks, fn: () => void) => hooks.run(fn);

  it("after-commit work runs once the outermost transaction returns; at once outside one", () => {
    const hooks = new TransactionHooks();
    const ran: string[] = [];
    atomically(hooks, () => {
      atomically(hooks, () => hooks.afterCommit(() => ran.push("inner")));
      expect(ran).toEqual([]);
      hooks.afterCommit(() => ran.push("outer"));
    });
    hooks.afterCommit(() => ran.push("none open"));
    expect(ran).toEqual(["inner", "outer", "none open"]);
  });

  it("a throw drops its after-commit work and runs its rollback hooks, newest first; an inner one's too", () => {
    const hooks = new TransactionHooks();
    const ran: string[] = [];
    expect(() =>
      hooks.run(
        () => {
          atomically(hooks, () => {
            hooks.afterCommit(() => ran.push("inner commit"));
            hooks.onRollback(() => ran.push("inner undo"));
          });
          hooks.onRollback(() => ran.push("outer undo"));
          throw new Error("rolled back");
        },
        () => ran.push("first undo"),
      ),
    ).toThrow("rolled back");
    expect(ran).toEqual(["outer undo", "inner undo", "first undo"]);
  });

  it("an inner throw caught by the outer one drops only the inner work", () => {
    const hooks = new TransactionHooks();
    const ran: string[] = [];
    atomically(hooks, () => {
      hooks.afterCommit(() => ran.push("outer commit"));
      try {
        atomically(hooks, () => {
          hooks.afterCommit(() => ran.push("inner commit"));
          hooks.onRollback(() => ran.push("inner undo"));
          throw new Error("inner");
        });
      } catch {
        // the outer transaction goes on
      }
    });
    hooks.onRollback(() => ran.push("no transaction: nothing to undo"));
    expect(ran).toEqual(["inner undo", "outer commit"]);
  });
});
