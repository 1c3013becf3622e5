/**
 * queryadv: `POST /query` across the index shards, attacked for wrong answers. Every query is
 * run twice: by the deployment (split over the 4 index shards, or the owners it pins, and
 * combined) and on one reference database holding every row (the index's rows, listed once,
 * with sys_service and sys_deployment, as plain tables in one scratch object of the fixture:
 * hostile-query-worker.ts). A 200 must be the reference's answer; anything else a 400 (never a
 * 5xx). A seeded generator (test/support/query-fuzz.ts) draws the corpus; the seed is printed:
 * `QUERY_FUZZ_SEED=<seed> QUERY_FUZZ_COUNT=<n> npx vitest run test/worker/hostile-query-answers.test.ts`.
 * The hand-written cases below are the shapes that were answered wrong, each named.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { WorkerdRuntime, adminQuery, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import { Random } from "../support/fuzz.js";
import { generateQuery, type QueryPools } from "../support/query-fuzz.js";
import { SYS_INVOCATION_NAMES } from "../../src/durable/index-row.js";

let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/hostile-query-worker.ts", (r) => (rt = r));

const SEED = process.env.QUERY_FUZZ_SEED !== undefined ? Number(process.env.QUERY_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 32);
const COUNT = Number(process.env.QUERY_FUZZ_COUNT ?? 300);

/** Keys chosen to spread over the shards and to sort differently in UTF-16 and UTF-8 (U+FF01 against an emoji). */
const KEYS = [...Array.from({ length: 14 }, (_, i) => `h-${i}`), "h-ü", "h-\u{1F600}", "h-\uFF01", "h-a'b", "H-upper", "h-" + "x".repeat(40), "h-case", "H-Case", "h-CASE", "H-CASE", "h-cAse"];

let pools: QueryPools;
let invocations: unknown[][];

type Answer = { status: number; rows?: Record<string, unknown>[]; message?: string };

/** The reference database's answer, rendered as POST /query renders its rows. */
async function reference(body: unknown): Promise<{ rows: Record<string, unknown>[] } | { error: string }> {
  const response = await rt.fetch("/__test/reference", { method: "POST", body: JSON.stringify(body) });
  return (await response.json()) as { rows: Record<string, unknown>[] } | { error: string };
}

async function rowsOf(text: string): Promise<Record<string, unknown>[]> {
  const answer = await adminQuery(rt, text);
  expect(answer.status, `${text}: ${JSON.stringify(answer.body)}`).toBe(200);
  return answer.body.rows;
}

beforeAll(async () => {
  for (let i = 0; i < KEYS.length; i += 5) await Promise.all(KEYS.slice(i, i + 5).map((k) => rt.post(`/counter/${encodeURIComponent(k)}/add`, 1)));
  await rt.post("/counter/h-0/add", 2);
  await rt.post("/steps/echo", 1, { "idempotency-key": "h-idem" });
  await rt.post("/steps/echo", 2);
  await rt.post("/steps/chargeOnce", "h-charge");
  const sleeping = (await rt.post("/counter/h-sleep/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
  await rt.post("/counter/h-sleep/add/send", 1); // pending behind the sleeper's lock
  await rt.post("/counter/h-later/add/send?delay=1h", 1); // scheduled
  await rt.post("/steps/pauseForReview/send", "h-review"); // paused
  const expected = KEYS.length + 1 + 3 + 3 + 1;
  // Settled: every invocation listed, twice alike (statuses no longer moving).
  let last = "";
  invocations = await eventually(async () => {
    const answer = await adminQuery(rt, "SELECT * FROM sys_invocation ORDER BY id");
    const rows = (answer.body.rows ?? []) as Record<string, unknown>[];
    const text = JSON.stringify(rows);
    const settled = rows.length === expected && text === last && rows.some((r) => r.id === sleeping && r.status === "suspended") && rows.some((r) => r.status === "paused");
    last = text;
    return settled ? rows.map((r) => SYS_INVOCATION_NAMES.map((c) => r[c] ?? null)) : undefined;
  }, 30_000, 300);
  const services = await adminQuery(rt, "SELECT name, revision, public, ty, deployment_id FROM sys_service");
  const deployment = (await rowsOf("SELECT id, ty, endpoint, created_at FROM sys_deployment"))[0]!;
  const loaded = await reference({
    tables: {
      sys_invocation: { columns: SYS_INVOCATION_NAMES, rows: invocations },
      sys_invocation_status: { columns: SYS_INVOCATION_NAMES, rows: invocations },
      // `public` is rendered as a boolean: stored as SQLite answers it, 0 or 1.
      sys_service: { columns: ["name", "revision", "public", "ty", "deployment_id"], rows: services.body.rows.map((s: any) => [s.name, s.revision, s.public ? 1 : 0, s.ty, s.deployment_id]) },
      sys_deployment: { columns: ["id", "ty", "endpoint", "created_at"], rows: [[deployment.id, deployment.ty, deployment.endpoint, deployment.created_at]] },
    },
  });
  expect(loaded).toEqual({ rows: [] });
  const values: QueryPools["values"] = {};
  SYS_INVOCATION_NAMES.forEach((c, i) => (values[c] = [...new Set(invocations.map((r) => r[i] as string | number | null))]));
  pools = { ids: invocations.map((r) => String(r[0])), values, deploymentId: String(deployment.id) };
}, 60_000);

/** The deployment's answer and the reference's, rendered alike (JSON rows, nulls left out). */
async function both(text: string): Promise<{ ours: Answer; truth: { rows: Record<string, unknown>[] } | { error: string } }> {
  const answer = await adminQuery(rt, text);
  const ours: Answer = answer.status === 200 ? { status: 200, rows: answer.body.rows } : { status: answer.status, message: String(answer.body?.message ?? answer.body) };
  return { ours, truth: await reference({ query: text }) };
}

/** Valid queries (the reference answers them) that SQLite refused as Resolute rewrote them. */
const misread: string[] = [];

const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();

/** Never a silently different answer: the reference's rows (in order when the order is total), or a 400 saying why. */
async function expectExactOrRefused(text: string, ordered: boolean): Promise<"answered" | "refused"> {
  const { ours, truth } = await both(text);
  expect(ours.status, `${text}: a 5xx or other status: ${ours.message}`).toSatisfy((s: number) => s === 200 || s === 400);
  if (ours.status === 400) {
    expect(ours.message, text).toMatch(/\w{3,}/);
    if (!("error" in truth) && ours.message!.startsWith("query failed")) misread.push(`${text} → ${ours.message}`);
    return "refused";
  }
  expect("error" in truth ? truth.error : undefined, `${text}: answered 200 where one database holding every row fails`).toBeUndefined();
  const rows = (truth as { rows: Record<string, unknown>[] }).rows;
  if (ordered) expect(ours.rows, text).toEqual(rows);
  else expect(sorted(ours.rows!), text).toEqual(sorted(rows));
  return "answered";
}

describe("queryadv: answered exactly as one database holding every row, or refused", () => {
  const cases: [string, boolean, "answered" | RegExp][] = [
    // queryadv: a join that pairs an invocation with several rows (sys_service by ty, a VALUES list) sent the
    // shards' joined rows as sys_invocation rows, and the second pass joined them again: each row n² times.
    ["SELECT inv.target_service_key AS k, s.name AS n FROM sys_invocation inv JOIN sys_service s ON s.ty = inv.target_service_ty WHERE inv.target_service_key = 'h-1'", false, "answered"],
    ["SELECT inv.target_service_key AS k, v.column1 AS x FROM sys_invocation inv, (VALUES (1), (2)) v WHERE inv.target_service_key LIKE 'h-1%' ORDER BY 1, 2 LIMIT 5", true, "answered"],
    ["SELECT count(*) AS n FROM (SELECT inv.id FROM sys_invocation inv, (VALUES (1), (2)) v) x", false, "answered"],
    // queryadv: a GROUP BY term not selected merged every shard's groups into one (and no rows into a row of 0): now a 400.
    ["SELECT count(*) AS n FROM sys_invocation GROUP BY target_service_key", false, /GROUP BY .* must also be selected/],
    ["SELECT count(*) AS n FROM sys_invocation WHERE 0 GROUP BY status", false, /GROUP BY .* must also be selected/],
    ["SELECT status, count(*) AS n FROM sys_invocation GROUP BY status, target_service_name ORDER BY 1, 2", true, /GROUP BY .* must also be selected/],
    // queryadv: `d.id = '…'` (sys_deployment's id, not the invocation's) pinned owners, found none, and counted 0.
    ["SELECT count(*) AS n FROM sys_invocation inv, sys_deployment d WHERE d.id = '<deployment>'", false, "answered"],
    // queryadv: MIN/MAX/ORDER BY merged text in UTF-16 order, where SQLite compares UTF-8 bytes.
    ["SELECT max(target_service_key) AS hi, min(substr(target_service_key, 3)) AS lo FROM sys_invocation WHERE target_service_key IN ('h-\u{1F600}', 'h-\uFF01')", false, "answered"],
    ["SELECT DISTINCT target_service_key AS k FROM sys_invocation WHERE target_service_key IN ('h-\u{1F600}', 'h-\uFF01', 'h-ü') ORDER BY 1 DESC", true, "answered"],
    ["SELECT target_service_key AS k, count(*) AS n FROM sys_invocation GROUP BY target_service_key ORDER BY 1 DESC LIMIT 4", true, "answered"],
    // queryadv: blobs as group keys were all one key (JSON of an ArrayBuffer is {}): one row for every distinct blob.
    ["SELECT DISTINCT CAST(target_service_name AS BLOB) AS b FROM sys_invocation ORDER BY 1", true, "answered"],
    // queryadv: a select alias inside WHERE or an ORDER BY expression was a 400 ("no such column: k") on the shards'
    // `inv.*` scan; and one shadowing a column (`key AS status`) ordered the shards by the alias, SQLite by the column.
    ["SELECT target_service_key AS k FROM sys_invocation WHERE k LIKE 'h-1%' ORDER BY lower(k) DESC, 1 LIMIT 3", true, "answered"],
    ["SELECT target_service_key AS status FROM sys_invocation WHERE target_service_key LIKE 'h-%' ORDER BY status || '' DESC, 1 LIMIT 2", true, "answered"],
    ["SELECT target_service_key AS status FROM sys_invocation inv WHERE inv.target_service_key LIKE 'h-%' ORDER BY status DESC LIMIT 2", true, "answered"],
    // queryadv: a lone COUNT over a FROM subquery's LIMIT joined with another table was capped at the LIMIT (5, not 5 × services).
    ["SELECT count(*) AS n FROM (SELECT * FROM sys_invocation WHERE target_service_key LIKE 'h-%' LIMIT 5) x, sys_service s", false, "answered"],
    // queryadv: shards grouped 'h-case' and 'H-CASE' under NOCASE, the merge kept each shard's pick apart.
    ["SELECT DISTINCT target_service_key COLLATE NOCASE AS k FROM sys_invocation WHERE target_service_key LIKE 'h-case'", false, /COLLATE in the columns or GROUP BY/],
    // queryadv: an index shard stores retry_count as a REAL (1.0, '1.0' as text), where the owner holds 1.
    ["SELECT DISTINCT typeof(retry_count) AS t, retry_count || '' AS s, json_array(retry_count) AS j FROM sys_invocation ORDER BY 1, 2, 3", true, "answered"],
  ];
  for (const [text, ordered, expected] of cases) {
    test(text, async () => {
      const query = text.replace("<deployment>", pools.deploymentId);
      const outcome = await expectExactOrRefused(query, ordered);
      if (expected === "answered") expect(outcome, "these shapes combine: answered, not refused").toBe("answered");
      else expect((await adminQuery(rt, query)).body.message).toMatch(expected);
    });
  }
});

test(`queryadv: ${COUNT} generated queries, each exact or refused (QUERY_FUZZ_SEED=${SEED})`, async () => {
  console.log(`hostile-query: seed ${SEED}, ${COUNT} queries (QUERY_FUZZ_SEED=${SEED} QUERY_FUZZ_COUNT=${COUNT} to repeat)`);
  const random = new Random(SEED);
  const tally = { answered: 0, refused: 0 };
  const failures: string[] = [];
  for (let n = 0; n < COUNT; n++) {
    const { sql, ordered } = generateQuery(random, pools);
    try {
      tally[await expectExactOrRefused(sql, ordered)]++;
    } catch (e) {
      failures.push(`#${n} ${String(e).slice(0, 900)}`);
    }
  }
  console.log(`hostile-query: ${tally.answered} answered exactly, ${tally.refused} refused, ${failures.length} wrong; refused by SQLite as rewritten:`, misread.slice(0, 5));
  expect(failures.slice(0, 10), `seed ${SEED}: ${failures.length} wrong of ${COUNT}`).toEqual([]);
  expect(misread.slice(0, 10), `seed ${SEED}: valid queries SQLite refused as Resolute rewrote them`).toEqual([]);
  expect(tally.answered, "the generator reaches answered shapes").toBeGreaterThan(COUNT / 5);
}, 600_000);

describe("queryadv: a per-object table is read at the one object each SELECT reading it names, or refused", () => {
  const NAME_ONE = /name one object with service_name = '…' AND service_key = '…'.*no OR/;
  test("named as top-level conjuncts of the reading SELECT's WHERE: answered from that object", async () => {
    const id = pools.ids.find((i) => invocations.find((r) => r[0] === i)?.[3] === "h-1")!;
    expect(await rowsOf("SELECT key, value_utf8 FROM state WHERE service_name = 'counter' AND service_key = 'h-1'")).toEqual([{ key: "count", value_utf8: "1" }]);
    expect(await rowsOf("SELECT s.key FROM state s WHERE s.service_name = 'counter' AND s.service_key = 'h-1' AND s.key LIKE 'c%'")).toEqual([{ key: "count" }]);
    expect(await rowsOf("SELECT count(*) AS n FROM (SELECT * FROM state WHERE service_name = 'counter' AND service_key = 'h-1')")).toEqual([{ n: 1 }]);
    expect(await rowsOf(`SELECT sj.entry_type FROM sys_journal sj WHERE sj.id = '${id}' ORDER BY "index"`)).toEqual([{ entry_type: "getState" }, { entry_type: "setState" }]);
  });

  // queryadv: the object was taken from any `service_key = '…'` or invocation id in the text: an OR, a NOT,
  // another column's id or a second, unnamed read answered one object's rows for the deployment's.
  for (const text of [
    "SELECT service_key, key FROM state WHERE service_name = 'counter' AND service_key = 'h-1' OR service_key = 'h-2'",
    "SELECT service_key, key FROM state WHERE NOT (service_name = 'counter' AND service_key = 'h-1')",
    "SELECT id FROM sys_journal WHERE invoked_id = '<id>'",
    "SELECT count(*) AS n FROM state WHERE service_name = 'counter' AND service_key = 'h-1' AND key IN (SELECT key FROM state)",
    "SELECT s.key FROM state s, sys_deployment d WHERE d.service_name = 'counter' AND s.service_key = 'h-1'",
  ]) {
    test(text, async () => {
      const answer = await adminQuery(rt, text.replace("<id>", pools.ids[0]!));
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.message).toMatch(NAME_ONE);
    });
  }
  test("two per-object tables in one SELECT are a 400 (each would need its own object)", async () => {
    const answer = await adminQuery(rt, "SELECT a.key FROM state a, state b WHERE a.service_name = 'counter' AND a.service_key = 'h-1'");
    expect(answer.body.message).toMatch(/a SELECT may read one of state/);
  });
});
