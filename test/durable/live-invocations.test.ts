/**
 * Issue leftovers-1: the invocation index reads Restate's "suspended" from the store's mirror
 * of pending journal entries (live-invocations.ts), so the mirror's count of a followed
 * invocation must be the table's, also after a rollback.
 */
import { expect, it } from "vitest";
import { LiveInvocations } from "../../src/durable/live-invocations.js";
import type { Entry } from "../../src/engine/types.js";

/** A mirror whose rollback hooks are kept, to run as a rolled-back transaction would. */
function mirror() {
  let undo: (() => void)[] = [];
  const live = new LiveInvocations((u) => void undo.push(u));
  const commit = () => void (undo = []);
  const rollBack = () => (undo.reverse().forEach((u) => u()), commit());
  return { live, commit, rollBack };
}

const entry = (index: number, name = ""): Entry => ({ index, type: "awakeable", name, done: false }) as Entry;

it("counts the pending entries of an invocation inserted here; unknown for one read from the table", () => {
  const { live, commit } = mirror();
  live.inserted("a", 1);
  live.appended("a", entry(0));
  live.appended("a", entry(1));
  commit();
  expect(live.pendingCount("a")).toBe(2);
  expect(live.entryDone("a", 0)).toBe(true);
  expect(live.entryDone("a", 0)).toBe(false); // pending no more: nothing moved
  expect(live.pendingCount("a")).toBe(1);
  live.read("b", 2);
  expect(live.pendingCount("b")).toBeUndefined();
});

it("a completion rolled back leaves the count unknown, not one short of the table's", () => {
  const { live, commit, rollBack } = mirror();
  live.inserted("a", 1);
  live.appended("a", entry(0));
  commit();
  live.entryDone("a", 0);
  rollBack(); // the table has entry 0 pending again
  expect(live.pendingCount("a")).toBeUndefined();
  expect(live.seqOf("a")).toBe(1);
});

it("an entry stored over a pending one and rolled back gives the first one back", () => {
  const { live, commit, rollBack } = mirror();
  live.inserted("a", 1);
  const first = entry(0, "first");
  live.appended("a", first);
  commit();
  live.appended("a", entry(0, "second"));
  rollBack();
  expect(live.pendingCount("a")).toBe(1);
  expect(live.pendingEntry("a", 0)).toBe(first);
});
