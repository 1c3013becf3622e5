/**
 * queryadv: `POST /query` when one index shard holds more rows than a source sends (1,001 for a
 * row query): 1,100 invocations of one object (its shard holds them all), then 10 of others. A
 * source's first rows in the query's order still give the deployment's first rows (marked
 * truncated past 1,000), but not the rows past an OFFSET, an aggregate over the rows, or an
 * order the sources did not scan in: those answered other rows, with only the truncated header
 * to tell. Now each is exact or a 400. The truth is read in pages without OFFSET (exact).
 */
import { beforeAll, expect, test } from "vitest";
import { WorkerdRuntime, adminQuery, eventually, useRuntimeWithProbe } from "../support/runtime.js";

let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r) => (rt = r));

const BULK = 1_100;
const OTHERS = 10;
const MINE = "(target_service_key = 'c-bulk' OR target_service_key LIKE 'c-k%')";
interface Row {
  k: string;
  c: string;
  id: string;
}
let truth: Row[];

beforeAll(async () => {
  for (let i = 0; i < BULK; i += 50) await Promise.all(Array.from({ length: 50 }, () => rt.post("/counter/c-bulk/add/send", 1)));
  await eventually(async () => (await rt.post("/counter/c-bulk/get")).body === BULK, 120_000, 500);
  for (let i = 0; i < OTHERS; i++) await rt.post(`/counter/c-k${i}/add`, 1);
  const total = async () => Number((await adminQuery(rt, `SELECT count(*) AS n FROM sys_invocation WHERE ${MINE} AND target_handler_name = 'add'`)).body.rows?.[0]?.n);
  await eventually(async () => (await total()) === BULK + OTHERS, 60_000, 500);
  // Pages ordered by (created_at, id), each after the last: plain ordered LIMITs, exact across shards.
  truth = [];
  for (let last: Row | undefined; truth.length < BULK + OTHERS; ) {
    const after = last ? `AND (created_at > '${last.c}' OR (created_at = '${last.c}' AND id > '${last.id}'))` : "";
    const page = await adminQuery(rt, `SELECT target_service_key AS k, created_at AS c, id FROM sys_invocation WHERE ${MINE} AND target_handler_name = 'add' ${after} ORDER BY created_at, id LIMIT 500`);
    expect(page.status).toBe(200);
    truth.push(...page.body.rows);
    last = truth.at(-1);
  }
}, 240_000);

async function answer(text: string): Promise<{ status: number; rows?: Row[]; message?: string; truncated: boolean }> {
  const a = await adminQuery(rt, text);
  return { status: a.status, rows: a.body.rows, message: a.body.message, truncated: a.headers.get("x-resolute-truncated") === "true" };
}

const ADDS = `${MINE} AND target_handler_name = 'add'`;

test("queryadv: rows past an OFFSET beyond a shard's first 1,001 are a 400, not other rows", async () => {
  for (const text of [
    `SELECT target_service_key AS k, created_at AS c, id FROM sys_invocation WHERE ${ADDS} ORDER BY created_at, id LIMIT 10 OFFSET 1000`,
    `SELECT target_service_key AS k FROM sys_invocation WHERE ${ADDS} LIMIT 10 OFFSET 1095`,
    `SELECT x.k, x.c, x.id FROM (SELECT target_service_key AS k, created_at AS c, id FROM sys_invocation WHERE ${ADDS}) x ORDER BY x.c DESC, x.id DESC LIMIT 3`,
  ]) {
    const got = await answer(text);
    // The true rows, or a 400 naming why: never others.
    if (got.status === 200) expect(got.rows, text).toEqual(text.includes("OFFSET 1000") ? truth.slice(1000, 1010) : text.includes("DESC") ? truth.slice(-3).reverse() : expect.any(Array));
    expect(got.status, `${text}: ${JSON.stringify(got.rows?.slice(0, 3))}`).toBe(400);
    expect(got.message).toMatch(/more than 1,000 rows for this query.*OFFSET/);
  }
});

test("the first rows in a directly read order stay exact (truncated past 1,000), and an OFFSET within them too", async () => {
  const first = await answer(`SELECT target_service_key AS k, created_at AS c, id FROM sys_invocation WHERE ${ADDS} ORDER BY created_at DESC, id DESC LIMIT 5`);
  expect(first.rows).toEqual(truth.slice(-5).reverse());
  const within = await answer(`SELECT target_service_key AS k, created_at AS c, id FROM sys_invocation WHERE ${ADDS} ORDER BY created_at, id LIMIT 10 OFFSET 500`);
  expect(within.rows).toEqual(truth.slice(500, 510));
  const all = await answer(`SELECT target_service_key AS k, created_at AS c, id FROM sys_invocation WHERE ${ADDS} ORDER BY created_at, id`);
  expect(all.rows).toEqual(truth.slice(0, 1000));
  expect(all.truncated).toBe(true);
  expect((await answer(`SELECT count(*) AS n FROM sys_invocation WHERE ${ADDS}`)).rows).toEqual([{ n: BULK + OTHERS }]);
});
