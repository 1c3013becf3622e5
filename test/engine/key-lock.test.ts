/**
 * The key's lock (src/engine/key-lock.ts): a host that knew at wake-up that no invocation
 * waited (wake-facts.ts) never asks storage for the next waiter; one that did not asks once.
 */
import { describe, expect, it } from "vitest";
import { KeyLock } from "../../src/engine/key-lock.js";
import type { InvocationRow } from "../../src/engine/invocation-row.js";

const row = (id: string, seq: number) => ({ id, seq, status: "pending" }) as InvocationRow;

describe("key lock", () => {
  it("issue #14: known at wake-up to have no waiters, a release asks storage nothing", () => {
    let asked = 0;
    const lock = new KeyLock("inv_a", () => (asked++, undefined), true);
    expect(lock.release("inv_a")).toBeUndefined();
    expect(lock.acquire("inv_b")).toBe(true);
    expect(lock.acquire("inv_c")).toBe(false);
    lock.queued(row("inv_c", 3));
    expect(lock.release("inv_b")?.id).toBe("inv_c");
    expect(asked).toBe(0);
  });

  it("without that fact, the first release asks storage and the next ones do not", () => {
    let asked = 0;
    const lock = new KeyLock("inv_a", () => (asked++, asked === 1 ? "inv_w" : undefined));
    expect(lock.release("inv_a")).toEqual({ id: "inv_w" });
    expect(lock.release("inv_w")).toBeUndefined();
    lock.acquire("inv_b");
    expect(lock.release("inv_b")).toBeUndefined();
    expect(asked).toBe(2);
  });
});
