/**
 * Where `POST /query` sends its calls (Node, a recording namespace): static and single-owner
 * queries make one call, none at an index object when the index is off, and forged ids
 * (owners that cannot exist) make none at their owners (issue #10).
 */
import { describe, expect, test } from "vitest";
import { makeInvocationId, ownerName } from "../../src/engine/ids.js";
import { targetKinds } from "../../src/ingress/invocation-id.js";
import { createQueryRunner, MAX_QUERY_OWNERS } from "../../src/ingress/query-router.js";
import { sqlText, type SqlText } from "../../src/durable/sql-text.js";
import { registry } from "./fixtures.js";

const deployment = { id: "dp_1", endpoint: "http://w.test/", createdAt: "2026-01-01T00:00:00.000Z" };
const answer = { columns: ["n"], rows: [[0]], truncated: false };

/** Object names called, in order, with the RPC method. */
function recording() {
  const calls: string[] = [];
  const namespace = {
    idFromName: (name: string) => ({ name }),
    get: (id: { name: string }) => ({
      admin: async () => (calls.push(`${id.name} admin`), answer),
      index: async () => (calls.push(`${id.name} index`), answer),
    }),
  } as unknown as DurableObjectNamespace;
  return { calls, namespace };
}

const text = (sql: string) => sqlText(sql) as SqlText;

function runner(indexShards: number) {
  const reg = registry();
  return createQueryRunner({ registry: reg, kinds: targetKinds(reg, 4), workflowShards: 0, indexShards });
}

describe("issue #10: calls per query", () => {
  const one = makeInvocationId(ownerName("o", "counter", "k1"), "a");
  const two = makeInvocationId(ownerName("o", "counter", "k1"), "b");
  const elsewhere = makeInvocationId(ownerName("o", "counter", "k2"), "c");
  const forged = makeInvocationId(ownerName("s", "counter", "0"), "x");

  test("with the index off, a static query is one call at the query coordinator, not at an index shard", async () => {
    const { calls, namespace } = recording();
    await runner(0)(text("SELECT name FROM sys_service"), deployment, namespace);
    expect(calls).toEqual(["query:coordinator index"]);
  });

  test("the invocations of one owner: one call, at that owner (no second pass)", async () => {
    for (const shards of [0, 4]) {
      const { calls, namespace } = recording();
      const run = runner(shards);
      await run(text(`SELECT id FROM sys_invocation WHERE id = '${one}'`), deployment, namespace);
      await run(text(`SELECT COUNT(*) FROM sys_invocation WHERE id IN ('${one}', '${two}', '${forged}')`), deployment, namespace);
      expect(calls).toEqual(["o:counter:k1 admin", "o:counter:k1 admin"]);
    }
  });

  test("several owners: one call each, then the second pass; forged ids: no owner called", async () => {
    const { calls, namespace } = recording();
    const run = runner(0);
    await run(text(`SELECT id FROM sys_invocation WHERE id IN ('${one}', '${elsewhere}')`), deployment, namespace);
    expect(calls).toEqual(["o:counter:k1 admin", "o:counter:k2 admin", "query:coordinator index"]);
    calls.length = 0;
    await run(text(`SELECT id FROM sys_invocation WHERE id = '${forged}'`), deployment, namespace);
    await run(text(`SELECT * FROM sys_journal WHERE id = '${forged}'`), deployment, namespace);
    expect(calls).toEqual(["query:coordinator index"]);
  });

  test("an object named by service and key: one call at its owner; a service key out of its shards: none; no such service: a 400", async () => {
    const { calls, namespace } = recording();
    const run = runner(4);
    await run(text("SELECT key FROM state WHERE service_name = 'counter' AND service_key = 'k1'"), deployment, namespace);
    await run(text("SELECT id FROM sys_inbox WHERE service_name = 'greeter' AND service_key = '3'"), deployment, namespace);
    for (const key of ["4", "03", "-1"]) {
      expect(await run(text(`SELECT id FROM sys_inbox WHERE service_name = 'greeter' AND service_key = '${key}'`), deployment, namespace)).toMatchObject({ rows: [] });
    }
    await expect(run(text("SELECT key FROM state WHERE service_name = 'nosuch' AND service_key = 'k'"), deployment, namespace)).rejects.toMatchObject({ code: 400, message: expect.stringContaining("no service 'nosuch'") });
    expect(calls).toEqual(["o:counter:k1 admin", "s:greeter:3 admin"]);
  });
});

describe("adversary (queryfix): the objects one query may read are capped below Cloudflare's subrequest limit", () => {
  const ids = (owners: number, perOwner = 2) =>
    Array.from({ length: owners * perOwner }, (_, i) => `'${makeInvocationId(ownerName("o", "counter", `cap-${i % owners}`), `x${i}`)}'`).join(", ");

  test(`ids of ${MAX_QUERY_OWNERS} objects: one call at each, then the second pass; of ${MAX_QUERY_OWNERS + 1}: a 400 naming the cap and the count, no call made`, async () => {
    expect(MAX_QUERY_OWNERS).toBeLessThan(50); // Workers Free: 50 subrequests a request
    const { calls, namespace } = recording();
    const run = runner(4);
    await run(text(`SELECT id FROM sys_invocation WHERE id IN (${ids(MAX_QUERY_OWNERS)})`), deployment, namespace);
    expect(calls.filter((c) => c.endsWith(" admin"))).toHaveLength(MAX_QUERY_OWNERS);
    expect(calls.filter((c) => c.endsWith(" index"))).toHaveLength(1);
    calls.length = 0;
    const over = run(text(`SELECT count(*) FROM sys_invocation WHERE id IN (${ids(MAX_QUERY_OWNERS + 1)})`), deployment, namespace);
    await expect(over).rejects.toMatchObject({ code: 400, message: expect.stringContaining(`${MAX_QUERY_OWNERS + 1} objects, more than the ${MAX_QUERY_OWNERS}`) });
    expect(calls).toEqual([]);
  });
});

describe("issue (queryfix): a partial aggregate cut at its source is not merged", () => {
  test("a shard answering more groups than it may send (truncated): a 400, not totals missing that shard's cut groups", async () => {
    const cut = { columns: ["status", "n"], rows: [["running", 3]], truncated: true };
    const namespace = {
      idFromName: (name: string) => ({ name }),
      get: () => ({ index: async () => cut }),
    } as unknown as DurableObjectNamespace;
    const run = runner(4)(text("SELECT status, count(*) AS n FROM sys_invocation GROUP BY status"), deployment, namespace);
    await expect(run).rejects.toMatchObject({ code: 400, message: expect.stringContaining("would make the totals wrong") });
  });
});
