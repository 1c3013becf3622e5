/**
 * The Store on workerd (fixtures/store-worker.ts). Its seq cache and rolled-back transactions (fixtures/store-worker.ts), on
 * workerd: a transaction that throws after an insert, a completion or a delete leaves no
 * journal row under a wrong seq, now or after a wake-up that gives a seq out again; work
 * queued for after the commit runs only when it commits. Its wake facts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";

const CASES = [
  "insert rolled back: its seq names no journal, now or after a wake-up that gives it out again",
  "insert rolled back, then the same id inserted again: its journal goes under its new seq",
  "inner transaction committed, outer rolled back: the insert is gone with both",
  "inner transaction rolled back inside a committed one: only the inner insert is gone",
  "completion rolled back: the invocation is live and its journal grows under its seq",
  "delete rolled back: the invocation and its journal stay, under its seq",
  "seq reused after deleteExpired, at the next wake-up: the new invocation's journal is its own",
  "index feed: a write rolled back is told again as 'read the row' (the index finds it as stored, or gone)",
  "limiter: a delivery whose transaction rolls back on a new object leaves no tables or config believed to exist",
  "limiter: a rule whose delivery rolls back leaves the limiter's config as stored, not as the rollback left it in memory",
  "after-commit work: run once the outermost transaction commits, dropped with a rollback",
];
const WAKE_CASES = [
  "wake facts: a fresh object has none; a woken one finds running work, the lock holder and the earliest due time of its invocations",
  "wake facts with timers and an outbox: the earliest of every table, each read once",
  "outbox: a set of seqs is delayed or deleted in one statement per 500, past the 100-binding limit",
  "issue #14: the outbox's rows this instance wrote are read back from memory, and a rolled-back enqueue, delete or delay is undone there as in the table",
  "issue #14: a completion finds the pending entry this instance appended without reading it, and memory agrees with the table after rollbacks",
];

let rt: WorkerdRuntime;
beforeAll(async () => void (rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/store-worker.ts" })));
afterAll(() => rt?.dispose());

describe("final review: the store's memory after rolled-back transactions (workerd)", () => {
  for (const name of CASES) {
    it(name, async () => {
      const { body } = await rt.get(`/${encodeURIComponent(name)}`);
      expect(body).toEqual({ ok: true });
    });
  }
});

describe("final review: the wake-up reads each table once; the outbox writes a set of rows at once (workerd)", () => {
  for (const name of WAKE_CASES) {
    it(name, async () => {
      const { body } = await rt.get(`/${encodeURIComponent(name)}`);
      expect(body).toEqual({ ok: true });
    });
  }
});
