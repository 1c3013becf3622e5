/**
 * adversary: `POST /query` over the invocation index, attacked as an admin with a token
 * would: the index shards skipped their work bound for a query reading sys_invocation
 * once (5fd9392's `reads`), though what it is joined with multiplies the work all the
 * same: the static tables (sys_service), VALUES lists, and the shard's own SQLite tables
 * (its raw index table, sqlite_master), which a query could name. Each such query ran
 * unbounded on the shard: with a few more joins, or a larger index, a statement SQLite
 * cannot interrupt, which stops every object (locally they share one thread; deployed,
 * the shard is reset for its CPU). README: "One query cannot stop the Worker".
 * Each query here visits at most about 4 x 10^8 rows if it runs (seconds), so that the
 * test without the fix ends; with it, each is refused before it runs, naming the factors.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, adminQuery as query, eventually, useRuntimeWithProbe } from "../support/runtime.js";

let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r) => (rt = r));

const VALUES_10 = "(VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10))";

describe("adversary: a query reading sys_invocation once is still bounded by what it is joined with", () => {
  test("static tables, VALUES lists and the shard's own tables multiply the work: refused (400) before it runs", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, j) => rt.post(`/counter/adv-bound-${j}/add/send`, 1)));
    const count = async () => Number((await query(rt, "SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_key LIKE 'adv-bound-%'")).body.rows?.[0]?.n);
    await eventually(async () => (await count()) >= 20);
    const services = Number((await query(rt, "SELECT count(*) AS n FROM sys_service")).body.rows[0].n);
    expect(services).toBeGreaterThanOrEqual(15); // five joins of sys_service multiply by at least 15^5
    const joined = (source: string, times: number) => Array.from({ length: times }, (_, i) => `${source} j${i}`).join(", ");
    for (const text of [
      `SELECT count(*) AS n FROM sys_invocation, ${joined("sys_service", 5)}`,
      `SELECT count(*) AS n FROM sys_invocation, ${joined(VALUES_10, 6)}`,
      // The shard's own SQLite tables (sqlite_master, its raw table) are not tables of POST /query: refused at the ingress, before any shard (leftovers-3).
      `SELECT count(*) AS n FROM sys_invocation, ${joined("sqlite_master", 12)}`,
      `SELECT count(*) AS n FROM sys_invocation, index_invocations, ${joined("sqlite_master", 10)}`,
      // The rows plan runs the query again over the shards' rows: bounded there as well.
      `SELECT inv.id FROM sys_invocation inv, ${joined("sys_service", 5)} LIMIT 1`,
    ]) {
      const answer = await query(rt, text);
      expect(answer.status, `${text}: ${JSON.stringify(answer.body).slice(0, 200)}`).toBe(400);
      expect(JSON.stringify(answer.body)).toMatch(text.includes("sqlite_master") ? /does not offer/ : /could visit up to/);
    }
  });

  test("one read of sys_invocation alone, or joined with one-row tables, is never refused for the index's size", async () => {
    const ids = (await query(rt, "SELECT inv.id, dp.id IS NOT NULL AS pinned FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id ORDER BY inv.created_at DESC LIMIT 5"));
    expect(ids.status, JSON.stringify(ids.body)).toBe(200);
    const small = await query(rt, `SELECT count(*) AS n FROM sys_invocation, (VALUES (1)) one`);
    expect(small.status, JSON.stringify(small.body)).toBe(200);
  });
});
