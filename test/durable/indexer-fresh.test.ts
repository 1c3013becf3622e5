/**
 * Issue 14 (freshstart): a fresh instance of an object (after eviction or a restart) resends
 * its rows modified since the stored mark; a completed one arms the index's reminder only if
 * its completion superseded a copy the index may hold unfinished, which that completion
 * recorded in its own commit (meta `index_exposed`). Before, every resent completed row armed
 * a reminder, and it fired: measured 2 alarm runs and 8 setAlarm per chain call over evicted
 * keys (bench/index-cost.ts --fresh). In Node: the Indexer over a fake table and sender.
 */
import { expect, test } from "vitest";
import { INDEX_COLUMNS, type IndexBatch, type IndexRow } from "../../src/durable/index-row.js";
import { Indexer } from "../../src/durable/indexer.js";
import type { IndexSender } from "../../src/durable/index-sender.js";
import { INDEX_EXPOSED_KEY } from "../../src/durable/wake-facts.js";

type Stored = { id: string; status: string; modified_at: number };

/** Answers the Indexer's few statements over `rows` and a meta map. */
function fakeSql(rows: Stored[], meta: Map<string, string>): SqlStorage {
  const cursor = (out: Record<string, unknown>[]) => ({ toArray: () => out, one: () => out[0], raw: () => out.map((r) => INDEX_COLUMNS.map((c) => r[c] ?? null)) });
  const exec = (text: string, ...args: unknown[]) => {
    if (text.startsWith("INSERT OR REPLACE INTO meta")) return meta.set(String(args[0]), String(args[1])), cursor([]);
    if (text.startsWith("SELECT EXISTS")) return cursor([{ more: 0 }]);
    if (text.includes("AND seq < ?")) return cursor(rows.filter((r) => r.modified_at >= Number(args[2])));
    const ids = new Set(JSON.parse(String(args[0])) as string[]);
    return cursor(rows.filter((r) => ids.has(r.id)));
  };
  return { exec } as unknown as SqlStorage;
}

/** A sender that holds nothing (every staged copy counts as handed to a send) and never acknowledges. */
function fakeSender(pushed: IndexBatch[]): IndexSender {
  return { push: (_: number, batch: IndexBatch) => void pushed.push(batch), holds: () => false, acked: () => undefined, wake: () => {}, kick: () => {} } as unknown as IndexSender;
}

function indexer(rows: Stored[], woke: { indexMark?: number; indexExposed?: number }) {
  const meta = new Map<string, string>();
  const pushed: IndexBatch[] = [];
  const reminders: number[] = [];
  const ports = { now: () => 10_000, send: async () => {}, alarmBy: (at: number) => void reminders.push(at) };
  const it = new Indexer(fakeSql(rows, meta), { key: "o", shard: 0 }, fakeSender(pushed), ports, { indexMark: woke.indexMark, indexExposed: woke.indexExposed, anyInvocations: rows.length > 0 });
  return { it, meta, pushed, reminders };
}

const settle = () => new Promise((r) => setTimeout(r, 5));
const ids = (pushed: IndexBatch[]) => pushed.flatMap((b) => b.rows.map((r: IndexRow) => r[0]));

test("issue 14: a fresh instance resending completed rows that never left unfinished arms no reminder", async () => {
  const { pushed, reminders } = indexer([{ id: "a", status: "completed", modified_at: 5_000 }], {});
  await settle();
  expect(ids(pushed)).toEqual(["a"]); // still resent: its earlier send may have been lost
  expect(reminders).toEqual([]);
});

test("issue 14: a fresh instance still reminds for a resent completion that superseded a copy the index may hold unfinished", async () => {
  const rows = [
    { id: "a", status: "completed", modified_at: 5_000 },
    { id: "b", status: "completed", modified_at: 7_000 },
  ];
  const { pushed, reminders } = indexer(rows, { indexExposed: 5_000 });
  await settle();
  expect(ids(pushed).sort()).toEqual(["a", "b"]);
  expect(reminders).toHaveLength(1);
});

test("issue 14: a completion over a copy handed to a send stores its modified time in its own turn", async () => {
  const rows: Stored[] = [];
  const { it, meta, reminders } = indexer(rows, {});
  const row = (status: string, modified: number) => Object.fromEntries(INDEX_COLUMNS.map((c) => [c, c === "id" ? "p" : c === "status" ? status : c === "modified_at" ? modified : null]));
  it.changed("p", row("scheduled", 8_000), true);
  await settle();
  expect(meta.has(INDEX_EXPOSED_KEY)).toBe(false); // a parked row is reminded, but needs no record
  it.changed("p", { status: "completed", modified_at: 9_000 });
  await Promise.resolve();
  expect(meta.get(INDEX_EXPOSED_KEY)).toBe("9000");
  expect(reminders).toHaveLength(2);
});

test("issue 14: a completion no unfinished copy of left stores nothing", async () => {
  const { it, meta, reminders } = indexer([], {});
  const row = Object.fromEntries(INDEX_COLUMNS.map((c) => [c, c === "id" ? "q" : c === "status" ? "completed" : c === "modified_at" ? 9_000 : null]));
  it.changed("q", row, true);
  await Promise.resolve();
  expect(meta.size).toBe(0);
  expect(reminders).toEqual([]);
});
