/**
 * Issue #15: concurrency and rate limits on the real runtime (workerd, SQLite
 * Durable Objects, real restarts). A concurrency server records how many steps of
 * each group ran at once.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, advance, eventually, useRuntimeWith } from "../support/runtime.js";
import { ConcurrencyServer } from "../support/concurrency-server.js";
import type { Job } from "./fixtures/concurrency-worker.js";
import { REGRANT_AFTER_MS } from "../../src/engine/limiter.js";

const ENTRY = "test/worker/fixtures/concurrency-worker.ts";
let rt: WorkerdRuntime;
let work: ConcurrencyServer;
useRuntimeWith(ENTRY, "WORK_URL", () => ConcurrencyServer.start(), (r, s) => ((rt = r), (work = s)));

const send = (path: string, job: Job, headers: Record<string, string> = {}) => rt.post(`${path}/send`, job, headers);

/** The statuses of a service's invocations across its 64 shards (admin API). */
async function statuses(service: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const lists = await Promise.all(Array.from({ length: 64 }, (_, shard) => admin(rt, `objects/${service}/${shard}/invocations`)));
  for (const list of lists) for (const inv of list.body.invocations as { status: string }[]) counts[inv.status] = (counts[inv.status] ?? 0) + 1;
  return counts;
}

async function waitDone(group: string, n: number): Promise<void> {
  await work.waitFor(() => new Set(work.done(group)).size >= n, `${n} done in ${group}`, 60_000);
}

describe("issue #15: concurrency limits", () => {
  test("a burst over the limit waits as `ready`, never fails, and starts as slots free up", async () => {
    work.hold("burst");
    const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => send("/limited/work", { group: "burst", id: `b${i}` })));
    expect(sent.every((r) => r.status === 202)).toBe(true);
    await work.waitFor(() => work.inFlight("burst") === 2, "2 in flight");
    const seen = await eventually(async () => {
      const s = await statuses("limited");
      return s.ready === 10 && s.running === 2 ? s : undefined;
    });
    expect(seen).toMatchObject({ ready: 10, running: 2 });
    work.release("burst"); // answers the two held, and no later one is held
    await waitDone("burst", 12);
    expect(work.max("burst")).toBe(2);
    expect(new Set(work.started("burst")).size).toBe(12);
  });

  test("the handlers of a service share its budget; a handler with its own limit counts apart", async () => {
    await Promise.all(Array.from({ length: 6 }, (_, i) => send(`/limited/${i % 2 ? "work" : "other"}`, { group: "shared", id: `s${i}`, ms: 30 })));
    await Promise.all(Array.from({ length: 4 }, (_, i) => send("/limited/solo", { group: "solo", id: `o${i}`, ms: 30 })));
    await waitDone("shared", 6);
    await waitDone("solo", 4);
    expect(work.max("shared")).toBe(2);
    expect(work.max("solo")).toBe(1);
  });

  test("each limit key has its own budget: from ingress (x-restate-limit-key), rpc.opts, sendOpts and genericSend", async () => {
    work.hold("keyed");
    for (let i = 0; i < 4; i++) await send("/limited/work", { group: "keyed", id: `h${i}` }, { "x-restate-limit-key": "tenant-a" });
    for (let i = 0; i < 2; i++) await send("/caller/send", { job: { group: "keyed", id: `s${i}` }, limitKey: "tenant-b" } as never);
    await send("/caller/generic", { job: { group: "keyed", id: "g0" }, limitKey: "tenant-b" } as never);
    const called = rt.post("/caller/call", { job: { group: "keyed", id: "c0" }, limitKey: "tenant-c" });
    await work.waitFor(() => work.inFlight("keyed") === 5, "2 + 2 + 1 in flight");
    const limiter = await admin(rt, `limits/scopes/limited?key=${encodeURIComponent("tenant-a")}`);
    expect(limiter.body).toMatchObject({ scope: "limited", limit_key: "tenant-a", effective: { concurrency: 2 }, running: 2, queued: 2 });
    work.release("keyed");
    expect((await called).body).toBe("c0");
    await waitDone("keyed", 8);
  });

  test("an exclusive handler takes its key's lock first (FIFO), then waits for a slot holding it", async () => {
    work.hold("account");
    for (const [key, id] of [["k1", "a"], ["k2", "b"], ["k1", "c"], ["k2", "d"]] as const) await send(`/account/${key}/work`, { group: "account", id });
    await work.waitFor(() => work.inFlight("account") === 1, "one in flight");
    const k1 = await admin(rt, "objects/account/k1/invocations");
    const k2 = await admin(rt, "objects/account/k2/invocations");
    const byStatus = (list: { status: string }[]) => list.map((i) => i.status).sort();
    // One key runs its first, the other's first waits for the slot holding the lock; the seconds wait for the locks.
    expect([...byStatus(k1.body.invocations), ...byStatus(k2.body.invocations)].sort()).toEqual(["pending", "pending", "ready", "running"]);
    for (let i = 0; i < 4; i++) {
      work.release("account");
      await work.waitFor(() => work.done("account").length > i, `${i + 1} done`);
    }
    expect(work.max("account")).toBe(1);
    expect((await rt.post("/account/k1/log")).body).toEqual(["a", "c"]);
    expect((await rt.post("/account/k2/log")).body).toEqual(["b", "d"]);
  });

  test("kill or cancel of a waiting invocation takes it out of the queue; kill of a holder frees its slot", async () => {
    work.hold("kill");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send("/limited/work", { group: "kill", id: `k${i}` })).body.invocationId);
    await work.waitFor(() => work.inFlight("kill") === 2, "2 in flight");
    const waiting = await eventually(async () => {
      const found = await Promise.all(ids.map(async (id) => [id, (await admin(rt, `invocations/${id}`)).body.status] as const));
      const ready = found.filter(([, s]) => s === "ready").map(([id]) => id);
      return ready.length === 3 ? ready : undefined;
    });
    const running = ids.filter((id) => !waiting.includes(id));
    expect((await admin(rt, `invocations/${waiting[0]}/cancel`, "PATCH")).status).toBe(202);
    expect((await admin(rt, `invocations/${waiting[1]}/kill`, "PATCH")).status).toBe(202);
    expect((await rt.get(`/restate/invocation/${waiting[0]}/output`)).status).toBe(409);
    expect((await admin(rt, `invocations/${running[0]}/kill`, "PATCH")).status).toBe(202);
    // The killed holder's slot goes to the one still waiting.
    const last = `k${ids.indexOf(waiting[2]!)}`;
    await work.waitFor(() => work.started("kill").includes(last), "the last waiter started");
    work.release("kill");
    await waitDone("kill", 2);
    const limiter = await eventually(async () => {
      const view = (await admin(rt, "limits/scopes/limited?key=")).body;
      return view.running === 0 && view.queued === 0 ? view : undefined;
    });
    expect(limiter).toMatchObject({ running: 0, queued: 0 });
    expect(work.max("kill")).toBe(2);
  });

  test("a paused invocation gives its slot back; resumed, it waits for one again", async () => {
    work.hold("pause");
    const paused = (await send("/limited/solo", { group: "pause", id: "p", pause: true })).body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${paused}`)).body.status === "paused");
    const next = await send("/limited/solo", { group: "pause", id: "n" });
    await work.waitFor(() => work.inFlight("pause") === 1, "the next one runs in the freed slot");
    expect((await admin(rt, `invocations/${paused}/resume`, "PATCH")).status).toBe(202);
    await eventually(async () => (await admin(rt, `invocations/${paused}`)).body.status === "ready");
    work.release("pause");
    await eventually(async () => (await rt.get(`/restate/invocation/${next.body.invocationId}/output`)).status === 200);
  });

  test("the admin API shows a handler's limit and an invocation's limit key", async () => {
    const services = (await admin(rt, "services")).body.services as { name: string; handlers: { name: string; limit?: unknown }[] }[];
    const handlersOf = (name: string) => services.find((s) => s.name === name)!.handlers;
    expect(handlersOf("limited").find((h) => h.name === "work")!.limit).toEqual({ scope: "limited", concurrency: 2 });
    expect(handlersOf("limited").find((h) => h.name === "solo")!.limit).toEqual({ scope: "limited/solo", concurrency: 1 });
    expect(handlersOf("caller").find((h) => h.name === "call")!.limit).toBeUndefined();
    const sent = await send("/limited/work", { group: "shown", id: "s" }, { "x-restate-limit-key": "acme" });
    const id = sent.body.invocationId as string;
    await eventually(async () => (await rt.get(`/restate/invocation/${id}/output`)).status === 200);
    expect((await admin(rt, `invocations/${id}`)).body).toMatchObject({ limit_key: "acme", status: "completed" });
  });

  test("a limit key longer than 1024 bytes is refused at ingress with 400", async () => {
    const res = await send("/limited/work", { group: "long", id: "x" }, { "x-restate-limit-key": "k".repeat(1025) });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/limit key has 1025 bytes, more than the limit of 1024/);
  });
});

describe("issue #15: rate limits", () => {
  test("at most `limit` starts per window; the next starts when the window moves on", async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await send("/rated/work", { group: "rated", id: `r${i}` })).body.invocationId);
    await waitDone("rated", 2);
    const view = (await admin(rt, "limits/scopes/rated?key=")).body;
    expect(view).toMatchObject({ effective: { rate: { limit: 2, per_ms: 1000 } }, queued: 1, starts_in_window: 2 });
    await advance(rt, "limiter:rated:", 1000);
    await waitDone("rated", 3);
  });
});

describe("issue #15: crashes", () => {
  test("after a restart, an exclusive invocation waiting for a slot still holds its key's lock: the key's next one waits behind it", async () => {
    work.hold("account-crash");
    for (const [key, id] of [["c1", "a"], ["c2", "b"], ["c2", "c"]] as const) await send(`/account/${key}/work`, { group: "account-crash", id });
    await work.waitFor(() => work.inFlight("account-crash") === 1, "one in flight");
    await eventually(async () => {
      const list = (await admin(rt, "objects/account/c2/invocations")).body.invocations as { status: string }[];
      return list.map((i) => i.status).sort().join() === "pending,ready";
    });
    await rt.restart();
    work.release("account-crash");
    await work.waitFor(() => new Set(work.done("account-crash")).size === 3, "all three done", 60_000);
    expect(work.max("account-crash")).toBe(1);
    expect((await rt.post("/account/c2/log")).body).toEqual(["b", "c"]);
  });

  test("a restart while holders run and others wait loses no slot and lets no more than the limit run", async () => {
    work.hold("crash");
    for (let i = 0; i < 8; i++) await send("/limited/work", { group: "crash", id: `c${i}`, ms: 20 });
    await work.waitFor(() => work.inFlight("crash") === 2, "2 in flight");
    await rt.restart();
    work.release("crash");
    await waitDone("crash", 8);
    expect(work.max("crash")).toBe(2);
    const view = await eventually(async () => {
      const v = (await admin(rt, "limits/scopes/limited?key=")).body;
      return v.running === 0 && v.queued === 0 ? v : undefined;
    });
    expect(view).toMatchObject({ running: 0, queued: 0 });
  });

  test("a release lost with its owner (sent once, after the end is durable) is found: the full limiter grants the long-held slot again and its owner gives it back", async () => {
    work.hold("lost");
    for (let i = 0; i < 3; i++) await send("/limited/work", { group: "lost", id: `l${i}`, ms: 0 });
    await work.waitFor(() => work.inFlight("lost") === 2, "2 in flight");
    await eventually(async () => (await admin(rt, "limits/scopes/limited?key=")).body.queued === 1);
    // The limiter refuses every delivery now: the holders' releases, sent once when they end, are lost.
    await rt.restart({ RESOLUTE_TEST_HOLD_OUTBOX: "1" });
    work.release("lost");
    await work.waitFor(() => new Set(work.done("lost")).size === 2, "the two holders done");
    await rt.restart({ RESOLUTE_TEST_HOLD_OUTBOX: "0" });
    expect((await admin(rt, "limits/scopes/limited?key=")).body).toMatchObject({ running: 2, queued: 1 });
    await advance(rt, "limiter:limited:", 2 * REGRANT_AFTER_MS);
    await waitDone("lost", 3);
    expect(work.max("lost")).toBe(2);
    await eventually(async () => {
      const v = (await admin(rt, "limits/scopes/limited?key=")).body;
      return v.running === 0 && v.queued === 0;
    });
  });
});

describe("issue #15: operators' rules (Restate's /limits/rules)", () => {
  const rules = (body: unknown, method = "PUT") =>
    rt.fetch("/restate/admin/limits/rules", { method, headers: { authorization: "Bearer test-token", "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => undefined)) as any }));

  test("a rule changes a limit without a deploy, per scope or per key, and survives a restart", async () => {
    const put = await rules([{ pattern: "limited/solo", limits: { concurrency: 3 }, description: "more for solo" }, { pattern: "limited/solo/vip", limits: { concurrency: 4 } }]);
    expect(put.status).toBe(200);
    expect(put.body).toEqual([
      { pattern: "limited/solo", limits: { concurrency: 3 }, disabled: false, version: 1, last_modified_millis_since_epoch: expect.any(Number), description: "more for solo" },
      { pattern: "limited/solo/vip", limits: { concurrency: 4 }, disabled: false, version: 1, last_modified_millis_since_epoch: expect.any(Number) },
    ]);
    await rt.restart();
    expect((await admin(rt, "limits/rules")).body.map((r: { pattern: string }) => r.pattern)).toEqual(["limited/solo", "limited/solo/vip"]);
    work.hold("ruled");
    work.hold("ruled-vip");
    for (let i = 0; i < 6; i++) await send("/limited/solo", { group: "ruled", id: `d${i}` });
    for (let i = 0; i < 6; i++) await send("/limited/solo", { group: "ruled-vip", id: `v${i}` }, { "x-restate-limit-key": "vip" });
    await work.waitFor(() => work.inFlight("ruled") === 3, "3 (the scope's rule) in flight");
    await work.waitFor(() => work.inFlight("ruled-vip") === 4, "4 (the key's rule) in flight");
    const scope = (await admin(rt, "limits/scopes/limited/solo")).body;
    expect(scope).toMatchObject({ scope: "limited/solo", handlers: ["limited/solo"], declared: { concurrency: 1 } });
    expect(scope.keys).toEqual(expect.arrayContaining([
      { limit_key: "", running: 3, queued: 3, effective: { concurrency: 3 } },
      { limit_key: "vip", running: 4, queued: 2, effective: { concurrency: 4 } },
    ]));
    // Lifting the limit starts every waiter at once.
    expect((await rules([{ pattern: "limited/solo/*", limits: { concurrency: null } }])).status).toBe(200);
    await work.waitFor(() => work.inFlight("ruled") === 6, "all 6 in flight");
    work.release("ruled");
    work.release("ruled-vip");
    await waitDone("ruled", 6);
    await waitDone("ruled-vip", 6);
    expect(work.max("ruled-vip")).toBe(4);
    for (const pattern of ["limited/solo", "limited/solo/vip"]) {
      const removed = await rt.fetch(`/restate/admin/limits/rules/${pattern}`, { method: "DELETE", headers: { authorization: "Bearer test-token" } });
      expect(removed.status).toBe(204);
    }
    expect((await admin(rt, "limits/rules")).body).toEqual([]);
  });

  test("a rule for a target without a declared limit, a bad limit or a failed precondition is refused and changes nothing", async () => {
    const unknown = await rules([{ pattern: "caller", limits: { concurrency: 1 } }]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/pattern 'caller' matches no declared limit: the limits declared are .*'limited\/solo'.*declare one and deploy first/);
    expect((await rules([{ pattern: "limited", limits: { concurrency: 0 } }])).status).toBe(400);
    expect((await rules({ pattern: "limited" })).status).toBe(400);
    expect((await rules([{ pattern: "rated", limits: { rate: { limit: 5, per: "1s" } }, precondition: { type: "does_not_exist" } }])).status).toBe(200);
    const again = await rules([{ pattern: "rated", limits: { rate: { limit: 9, per: "1s" } }, precondition: { type: "does_not_exist" } }]);
    expect(again.status).toBe(409);
    expect((await admin(rt, "limits")).body.limits).toContainEqual({ scope: "rated", handlers: ["rated/work"], declared: { rate: { limit: 2, per_ms: 1000 } }, rules: [expect.objectContaining({ pattern: "rated", limits: { rate: { limit: 5, per_ms: 1000 } } })] });
    const gone = await rt.fetch("/restate/admin/limits/rules/rated", { method: "DELETE", headers: { authorization: "Bearer test-token" } });
    expect(gone.status).toBe(204);
    const missing = await rt.fetch("/restate/admin/limits/rules/rated", { method: "DELETE", headers: { authorization: "Bearer test-token" } });
    expect(missing.status).toBe(404);
  });
});
