/**
 * Issue #2: durable execution on the real runtime (workerd via Miniflare,
 * SQLite-backed Durable Objects, real alarms, real restarts).
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)), { HANDLER_VERSION: "1" });

describe("crash in the middle", () => {
  test("a 3-step handler killed between step 2 and step 3 completes after restart; steps 1-2 ran once", async () => {
    probe.close("crash-3");
    const pending = rt.post("/steps/three", "crash", { "idempotency-key": "crash-run" }).catch(() => undefined);
    await probe.waitForHits("crash-3", 1); // step 3 started and hangs at the gate
    expect(probe.count("crash-1")).toBe(1);
    expect(probe.count("crash-2")).toBe(1);

    await rt.restart(); // kills workerd with step 3 in flight
    await pending;
    probe.open("crash-3");

    const attached = await rt.get("/restate/invocation/steps/three/crash-run/attach");
    expect(attached.status).toBe(200);
    expect(attached.body).toEqual({ a: 1, b: 1, c: 2 });
    expect(probe.count("crash-1")).toBe(1);
    expect(probe.count("crash-2")).toBe(1);
    expect(probe.count("crash-3")).toBe(2);
  });
});

describe("retries and sagas", () => {
  test("a transient failure in step 2 is retried with back-off; step 1 is not re-executed", async () => {
    const started = Date.now();
    const res = await rt.post("/steps/flaky", "flaky");
    expect(res.status).toBe(200);
    expect(res.body).toBe(3);
    expect(probe.count("flaky-1")).toBe(1);
    expect(probe.count("flaky-2")).toBe(3);
    // Back-off 500 ms then 1 s between the three attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  test("TerminalError runs the compensation and reaches the caller with its code", async () => {
    const res = await rt.post("/steps/saga", { id: "declined", decline: true });
    expect(res.status).toBe(402);
    expect(res.body).toMatchObject({ code: 402, message: "card declined" });
    expect(res.headers.get("x-restate-error-source")).toBe("invocation");
    expect(["book", "charge", "unbook"].map((s) => probe.count(`declined-${s}`))).toEqual([1, 1, 1]);

    const ok = await rt.post("/steps/saga", { id: "accepted", decline: false });
    expect(ok).toMatchObject({ status: 200, body: "booked" });
    expect(probe.count("accepted-unbook")).toBe(0);
  });
});

describe("virtual objects", () => {
  test("200 concurrent increments on one key give exactly 200, each seeing a distinct count", async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => rt.post("/counter/hot/add", 1)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body)).size).toBe(200);
    expect((await rt.post("/counter/hot/get")).body).toBe(200);
  });

  test("a shared handler answers while an exclusive one sleeps; the next exclusive call waits its turn", async () => {
    const order: string[] = [];
    const sleeper = rt.post("/counter/sleepy/sleepThenAdd", 1500).then((r) => (order.push("sleeper"), r));
    await new Promise((r) => setTimeout(r, 200));
    const queued = rt.post("/counter/sleepy/add", 10).then((r) => (order.push("queued"), r));
    const shared = await rt.post("/counter/sleepy/get");
    order.push("shared");
    expect(shared).toMatchObject({ status: 200, body: 0 });
    const [s, q] = await Promise.all([sleeper, queued]);
    expect(order[0]).toBe("shared"); // answered while both exclusive calls were still open
    // The queued call ran after the sleeper (it saw its increment). Which response reaches the
    // client first is not ordered: the second call finishes in the same turn, and both answers
    // leave with the same commit.
    expect(s.body).toBe(1);
    expect(q.body).toBe(11);
  });
});

describe("replay and journal mismatch", () => {
  test("changing the handler between attempts produces the journal-mismatch error", async () => {
    const sent = await rt.post("/steps/versioned/send", "mismatch");
    expect(sent.status).toBe(202);
    const id = sent.body.invocationId as string;
    await probe.waitForHits("mismatch-fail", 1);
    await rt.restart({ HANDLER_VERSION: "2" }); // a "deploy" that takes another path

    const described = await eventually(async () => {
      const res = await admin(rt, `invocations/${id}`);
      return String(res.body?.last_failure ?? "").includes("Journal mismatch") ? res.body : undefined;
    });
    expect(described.last_failure).toContain("Journal mismatch at entry 0");
    expect(described.last_failure).toContain('sleep("pause")');
    expect(described.last_failure).toContain('run("first")');
    expect(described.status).toBe("backing-off");
    expect(described.journal[0]).toMatchObject({ index: 0, entry_type: "run", name: "first" });
    await rt.restart({ HANDLER_VERSION: "1" });
  });
});

describe("timers", () => {
  test("a handler sleeping 1 hour is resumed by the alarm after a restart, from its journal", async () => {
    const sent = await rt.post("/counter/hourly/sleepThenAdd/send", 3_600_000);
    const id = sent.body.invocationId as string;
    expect((await rt.get(`/restate/invocation/${id}/output`)).status).toBe(470);

    await rt.restart();
    expect((await rt.get(`/restate/invocation/${id}/output`)).status).toBe(470);
    const advanced = await rt.get(`/__test/advance?owner=${encodeURIComponent("o:counter:hourly")}&ms=3600000`);
    expect(advanced.status).toBe(200);

    const result = await rt.get(`/restate/invocation/${id}/attach`);
    expect(result).toMatchObject({ status: 200, body: 1 });
  });
});
