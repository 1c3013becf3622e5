/**
 * Issue #13: the isolate's index sender (in Node, fake timers): never sends in the
 * staging owner's turn, many owners' rows travel in one send per shard once settled,
 * acknowledgements are recorded only once a send succeeded, and rows of a failed or
 * unanswered send are sent again.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { INDEX_COLUMNS, type IndexBatch, type IndexRow } from "../../src/durable/index-row.js";
import { IndexSender, SETTLE_MS, SPACING_MS } from "../../src/durable/index-sender.js";

const row = (id: string, modifiedAt: number, status = "completed"): IndexRow =>
  INDEX_COLUMNS.map((c) => (c === "id" ? id : c === "modified_at" ? modifiedAt : c === "status" ? status : null));

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("IndexSender", () => {
  test("rows of many owners for one shard go in one send, after they settled; acks once it succeeded", async () => {
    const sender = new IndexSender();
    const sends: [number, IndexBatch][] = [];
    let finish: () => void = () => {};
    const send = (shard: number, batch: IndexBatch) => (sends.push([shard, batch]), new Promise<void>((r) => (finish = r)));
    for (let i = 0; i < 50; i++) {
      sender.push(1, { rows: [row(`inv-${i}`, 100)], deleted: [] }, { owner: `o${i}`, cut: 100 + i });
      sender.wake(send);
    }
    expect(sends).toHaveLength(0); // never in the owner's own turn (it would split its commit)
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(sends).toHaveLength(1);
    expect(sends[0]![1].rows).toHaveLength(50);
    expect(sender.acked("o7")).toBeUndefined();
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(sender.acked("o7")).toBe(107);
  });

  test("at most one send per shard per SPACING_MS; the newer row of an invocation wins, a deletion after it too", async () => {
    const sender = new IndexSender();
    const sends: IndexBatch[] = [];
    const send = async (_shard: number, batch: IndexBatch) => void sends.push(batch);
    sender.push(0, { rows: [row("a", 1)], deleted: [] });
    sender.wake(send);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    sender.push(0, { rows: [row("a", 5, "running"), row("b", 2)], deleted: [] });
    sender.push(0, { rows: [row("a", 3, "pending")], deleted: [] });
    sender.push(0, { rows: [], deleted: ["b"] });
    sender.wake(send);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(sends).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(SPACING_MS);
    expect(sends).toHaveLength(2);
    expect(sends[1]!.rows.map((r) => [r[0], r[INDEX_COLUMNS.indexOf("status")]])).toEqual([["a", "running"]]);
    expect(sends[1]!.deleted).toEqual(["b"]);
  });

  test("a failed send is retried with its rows; its acks wait for the retry", async () => {
    const sender = new IndexSender();
    let fail = true;
    const sends: IndexBatch[] = [];
    const send = async (_shard: number, batch: IndexBatch) => {
      sends.push(batch);
      if (fail) throw new Error("shard unavailable");
    };
    vi.spyOn(console, "warn").mockImplementation(() => {});
    sender.push(2, { rows: [row("x", 1)], deleted: [] }, { owner: "o", cut: 9 });
    sender.wake(send);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(sends).toHaveLength(1);
    expect(sender.acked("o")).toBeUndefined();
    fail = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sends).toHaveLength(2);
    expect(sends[1]!.rows.map((r) => r[0])).toEqual(["x"]);
    expect(sender.acked("o")).toBe(9);
  });

  test("a send never answered (its object evicted, its timer gone) is redone by a later owner's timer", async () => {
    const sender = new IndexSender();
    const sends: IndexBatch[] = [];
    sender.push(3, { rows: [row("h", 1)], deleted: [] }, { owner: "o", cut: 4 });
    sender.wake((_s: number, batch: IndexBatch) => (sends.push(batch), new Promise<void>(() => {})));
    await vi.advanceTimersByTimeAsync(11_000);
    const good: IndexBatch[] = [];
    sender.wake(async (_s: number, batch: IndexBatch) => void good.push(batch));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(good.map((b) => b.rows.map((r) => r[0]))).toEqual([["h"]]);
    expect(sender.acked("o")).toBe(4);
  });

  test("a timer that fires late (its owner busy or gone) is replaced by the next owner's wake: rows wait ms, not seconds", async () => {
    const sender = new IndexSender();
    const sends: IndexBatch[] = [];
    const send = async (_shard: number, batch: IndexBatch) => void sends.push(batch);
    // The first owner's timer never fires in time (workerd ran it 2.9 s late under load).
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, "setTimeout").mockImplementationOnce((() => 0) as unknown as typeof setTimeout);
    sender.push(0, { rows: [row("a", 1)], deleted: [] }, { owner: "o1", cut: 1 });
    sender.wake(send);
    spy.mockRestore();
    expect(globalThis.setTimeout).toBe(realSetTimeout);
    await vi.advanceTimersByTimeAsync(500);
    expect(sends).toHaveLength(0);
    // Another owner stages a row and wakes the sender: a timer is armed from its context.
    sender.push(0, { rows: [row("b", 2)], deleted: [] }, { owner: "o2", cut: 2 });
    sender.wake(send);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(sends.map((b) => b.rows.map((r) => r[0]))).toEqual([["a", "b"]]);
    expect(sender.acked("o1")).toBe(1);
  });

  test("when every timer is late, an owner's request that starts sends what is due (kick); not before a timer is late, nor rows still settling", async () => {
    const sender = new IndexSender();
    const sends: IndexBatch[] = [];
    const send = async (_shard: number, batch: IndexBatch) => void sends.push(batch);
    // Every timer of the isolate starved (none fires).
    const spy = vi.spyOn(globalThis, "setTimeout").mockImplementation((() => 0) as unknown as typeof setTimeout);
    try {
      sender.push(1, { rows: [row("a", 1)], deleted: [] }, { owner: "o1", cut: 1 });
      sender.wake(send);
      sender.kick(send);
      expect(sends).toHaveLength(0); // the timer is not late yet
      vi.setSystemTime(Date.now() + 1_000);
      sender.push(1, { rows: [row("b", 2)], deleted: [] }, { owner: "o2", cut: 2 });
      sender.kick(send);
      expect(sends.map((b) => b.rows.map((r) => r[0]))).toEqual([["a"]]); // "b" is still settling
      await vi.advanceTimersByTimeAsync(0);
      expect(sender.acked("o1")).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });
});
