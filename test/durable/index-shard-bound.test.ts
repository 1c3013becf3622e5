/**
 * issue #10: an index shard bounds the admin's query over its table by the read count the
 * ingress sends with it (query-plan.ts): a query reading the table once runs without the table
 * being counted or the query read again; one reading it more is still refused when it could do
 * too much work, and so is a call that sends no count (a Worker of an earlier version). Node,
 * over a storage that records the statements it is given.
 */
import { describe, expect, test } from "vitest";
import { IndexShard } from "../../src/durable/index-shard.js";

const SIX_WAY = "SELECT count(*) FROM sys_invocation a, sys_invocation b, sys_invocation c, sys_invocation d, sys_invocation e, sys_invocation f";

/** A shard over `tableRows` rows; `statements` lists what it ran, `counts` how often it counted its table. */
function shard(tableRows: number) {
  const statements: string[] = [];
  const cursor = (sql: string) => ({
    one: () => (sql.includes("sqlite_schema") ? { sql: "CREATE TABLE index_invocations (id, alias)" } : sql.includes("count(*) AS n") ? { n: tableRows } : { missing: 0 }),
    columnNames: ["n"],
    raw: () => [[1]][Symbol.iterator](),
    toArray: () => [],
  });
  const storage = {
    sql: { exec: (sql: string) => (statements.push(sql), cursor(sql)) },
    transactionSync: (fn: () => void) => fn(),
    sync: async () => {},
  };
  const index = new IndexShard(storage as unknown as DurableObjectStorage, () => 0);
  const counts = () => statements.filter((s) => s.includes("count(*) AS n FROM index_invocations")).length;
  return { index, counts };
}

const scan = (query: string, reads?: number) => ({ kind: "scan" as const, query, context: "", maxRows: 10, ...(reads === undefined ? {} : { reads }) }) as never;

describe("issue #10: the index shard's bound, by the read count the ingress sends", () => {
  test("one read: the query runs, and the table is not counted", () => {
    const { index, counts } = shard(1_000_000);
    expect(index.handle(scan("SELECT sys_invocation.* FROM sys_invocation LIMIT 10", 1))).toMatchObject({ rows: [[1]] });
    expect(counts()).toBe(0);
  });

  test("more than one read: the table is counted, and a join that could visit too many rows is refused", () => {
    const big = shard(100);
    expect(big.index.handle(scan(SIX_WAY, 6))).toMatchObject({ refused: expect.stringMatching(/could visit up to .*sys_invocation \(100 rows\)/) });
    expect(big.counts()).toBe(1);
    const small = shard(3);
    expect(small.index.handle(scan(SIX_WAY, 6))).toMatchObject({ rows: [[1]] });
  });

  test("a call without a read count (from a Worker of an earlier version) is bounded as one reading the table more than once", () => {
    const { index, counts } = shard(100);
    expect(index.handle(scan(SIX_WAY))).toMatchObject({ refused: expect.stringContaining("could visit up to") });
    expect(counts()).toBe(1);
  });

  test("the second pass bounds by the rows it is given, and never counts the table", () => {
    const { index, counts } = shard(0);
    const rows = Array.from({ length: 100 }, () => []);
    expect(index.handle({ kind: "final", query: SIX_WAY, reads: 6, context: "", rows, maxRows: 10 })).toMatchObject({ refused: expect.stringContaining("(100 rows)") });
    expect(index.handle({ kind: "final", query: "SELECT * FROM sys_invocation", reads: 1, context: "", rows, maxRows: 10 })).toMatchObject({ rows: [[1]] });
    expect(counts()).toBe(0);
  });
});
