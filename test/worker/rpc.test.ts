/**
 * Issue #3: calls, sends, delayed sends, awakeables, cancellation and
 * idempotency across Durable Objects, on the real runtime with real restarts.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, advance as advanceClock, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

const advance = (owner: string, ms: number) => advanceClock(rt, owner, ms);

describe("calls between handlers", () => {
  test("a chain A → B → C across three objects returns through every hop", async () => {
    const res = await rt.post("/chainA/k1/start", 7);
    expect(res).toMatchObject({ status: 200, body: "A(B(C(7)))" });
    expect(["a", "b", "c"].map((h) => probe.count(`chain-${h}-7`))).toEqual([1, 1, 1]);
  });

  test("issue 14: a chain's callees arm no alarm of their own (their caller covers them), and the root's is settled once it answers", async () => {
    const alarmOf = async (owner: string) => (await rt.get(`/__test/alarm?owner=${encodeURIComponent(owner)}`)).body.alarm as number | null;
    // Before: each hop armed a redelivery alarm a second ahead, which then fired to find nothing.
    // Now nothing is armed for crash recovery any more; what is left is stored due work (retention), if any.
    // A hop slower than the answer window (250 ms, e.g. on a loaded machine) rightly ends its cover and
    // arms a wake-up, so up to three chains run: one with no crash wake-up anywhere is the proof, and a
    // regression arms one in every chain.
    const armed: string[] = [];
    for (const key of ["quiet-1", "quiet-2", "quiet-3"]) {
      expect(await rt.post(`/chainA/${key}/start`, 9)).toMatchObject({ status: 200, body: "A(B(C(9)))" });
      const soon = Date.now() + 10_000;
      const early: string[] = [];
      for (const owner of [`o:chainA:${key}`, `o:chainB:${key}`]) {
        const alarm = await alarmOf(owner);
        if (alarm !== null && alarm <= soon) early.push(`${owner}'s alarm ${alarm}`);
      }
      if (early.length === 0) return;
      armed.push(...early);
    }
    expect.fail(`every chain left a crash wake-up: ${armed.join("; ")}`);
  });

  test("issue 14: a caller's outbox keeps its seq without sqlite_sequence (AUTOINCREMENT rewrote that page with every enqueue)", async () => {
    for (const n of [11, 12]) expect(await rt.post("/chainA/seqless/start", n)).toMatchObject({ status: 200, body: `A(B(C(${n})))` });
    const tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name";
    // B's call to the stateless chainC runs in B's own object (issue 14, colocation): no outbox there, its callee's subscriber row instead.
    const expected = { "chainA/seqless": ["invocations", "journal", "meta", "outbox", "state"], "chainB/seqless": ["invocations", "journal", "meta", "state", "subscribers"] };
    for (const [object, names] of Object.entries(expected)) {
      const response = await rt.fetch(`/restate/admin/objects/${object}/query`, { method: "POST", headers: { authorization: "Bearer test-token", "content-type": "application/json" }, body: JSON.stringify({ query: tables }) });
      const rows = ((await response.json()) as { rows: { name: string }[] }).rows;
      expect(rows.map((r) => r.name), object).toEqual(names);
    }
  });

  test("a fan-out of 50 parallel calls joined with all()", async () => {
    const res = await rt.post("/fanout/sum", 50);
    expect(res).toMatchObject({ status: 200, body: Array.from({ length: 50 }, (_, i) => i * i).reduce((a, b) => a + b) });
    expect(Array.from({ length: 50 }, (_, i) => probe.count(`square-${i}`)).every((c) => c === 1)).toBe(true);
  });

  test("genericCall reaches a handler by name", async () => {
    expect(await rt.post("/messenger/generic", 12)).toMatchObject({ status: 200, body: 144 });
  });

  test("a fan-out of 50 interrupted by a restart completes with every callee finishing once", async () => {
    probe.close("fan-gate");
    const pending = rt.post("/fanout/sumGated", 50, { "idempotency-key": "fan-restart" }).catch(() => undefined);
    await probe.waitForHits("fan-gate", 50);
    await rt.restart();
    await pending;
    probe.open("fan-gate");
    const res = await rt.get("/restate/invocation/fanout/sumGated/fan-restart/attach");
    expect(res).toMatchObject({ status: 200, body: Array.from({ length: 50 }, (_, i) => i * i).reduce((a, b) => a + b) });
    // Every callee's gated step was cut off once by the restart and completed once after it.
    expect(probe.count("fan-gate")).toBe(100);
  });

  test("a chain A → B → C interrupted by a restart in C completes; A and B ran their steps once", async () => {
    probe.close("chain-c-1001");
    const pending = rt.post("/chainA/kr/start", 1001, { "idempotency-key": "chain-restart" }).catch(() => undefined);
    await probe.waitForHits("chain-c-1001", 1);
    await rt.restart();
    await pending;
    probe.open("chain-c-1001");
    const res = await rt.get("/restate/invocation/chainA/kr/start/chain-restart/attach");
    expect(res).toMatchObject({ status: 200, body: "A(B(C(1001)))" });
    expect(["a", "b", "c"].map((h) => probe.count(`chain-${h}-1001`))).toEqual([1, 1, 2]);
  });

  test("issue 14: a restart while B and C work inside their answer windows (no alarm of their own) completes the chain: the root's alarm redelivers and each hop replays", async () => {
    probe.close("chain-c-1002");
    const pending = rt.post("/chainA/kc/start", 1002, { "idempotency-key": "chain-covered" }).catch(() => undefined);
    await probe.waitForHits("chain-c-1002", 1);
    // Inside the 250 ms window B is covered by A's open delivery (and C by B's): B armed nothing.
    expect((await rt.get(`/__test/alarm?owner=${encodeURIComponent("o:chainB:kc")}`)).body.alarm).toBeNull();
    await rt.restart();
    await pending;
    probe.open("chain-c-1002");
    // Nothing touches the chain now: only A's alarm can wake A, whose redelivery wakes B, whose replay redelivers to C.
    await probe.waitForHits("chain-c-1002", 2);
    const res = await rt.get("/restate/invocation/chainA/kc/start/chain-covered/attach");
    expect(res).toMatchObject({ status: 200, body: "A(B(C(1002)))" });
    expect(["a", "b", "c"].map((h) => probe.count(`chain-${h}-1002`))).toEqual([1, 1, 2]);
  });

  test("an idempotent send from a handler starts the target once", async () => {
    const first = await rt.post("/messenger/send", { key: "idem-send", idempotencyKey: "once-only" });
    const second = await rt.post("/messenger/send", { key: "idem-send", idempotencyKey: "once-only" });
    expect(second.body).toBe(first.body); // the same invocation id
    await eventually(async () => (await rt.get(`/restate/invocation/${first.body}/output`)).status === 200);
    expect((await rt.post("/tally/idem-send/get")).body).toBe(1);
  });
});

describe("restart at each delivery boundary", () => {
  test("after the call is journaled but before it is delivered", async () => {
    await rt.restart({ RESOLUTE_TEST_HOLD_OUTBOX: "1" });
    const sent = await rt.post("/messenger/callGated/send", "held-call", { "idempotency-key": "held-call" });
    const callerId = sent.body.invocationId as string;
    await probe.waitForHits("held-call-before", 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(probe.count("held-call-callee")).toBe(0); // journaled, not delivered

    await rt.restart({ RESOLUTE_TEST_HOLD_OUTBOX: "0" });
    const res = await rt.get(`/restate/invocation/${callerId}/attach`); // wakes the caller, which redelivers
    expect(res).toMatchObject({ status: 200, body: "done held-call" });
    expect(probe.count("held-call-before")).toBe(1);
    expect(probe.count("held-call-callee")).toBe(1);
    expect(probe.count("held-call-after")).toBe(1);
  });

  test("after the callee finished but before its result reached the caller", async () => {
    probe.close("held-result-callee");
    const sent = await rt.post("/messenger/callGated/send", "held-result");
    const callerId = sent.body.invocationId as string;
    await probe.waitForHits("held-result-callee", 1);
    await rt.restart({ RESOLUTE_TEST_HOLD_OUTBOX: "1" }); // callee killed mid-step; results will be held
    probe.open("held-result-callee");
    await probe.waitForHits("held-result-callee", 2); // callee replayed and finished
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.get(`/restate/invocation/${callerId}/output`)).status).toBe(470);
    expect(probe.count("held-result-after")).toBe(0);

    await rt.restart({ RESOLUTE_TEST_HOLD_OUTBOX: "0" });
    const calls = await admin(rt, `invocations/${callerId}`);
    const calleeId = JSON.stringify(calls.body).match(/inv_1[A-Za-z0-9_-]+\.[a-z0-9]+/g)!.find((id) => id !== callerId)!;
    await admin(rt, `invocations/${calleeId}`); // wakes the callee, which redelivers its result
    const res = await rt.get(`/restate/invocation/${callerId}/attach`);
    expect(res).toMatchObject({ status: 200, body: "done held-result" });
    expect(probe.count("held-result-before")).toBe(1);
    expect(probe.count("held-result-after")).toBe(1);
  });

  test("issue 14: after the callee answered in the delivery's response but before the caller applied it", async () => {
    await rt.restart({ RESOLUTE_TEST_HOLD_ANSWERS: "1" });
    const sent = await rt.post("/messenger/callGated/send", "held-answer");
    const callerId = sent.body.invocationId as string;
    await probe.waitForHits("answer-held", 1); // the callee's completion is durable; its response never leaves
    expect(probe.count("held-answer-callee")).toBe(1);
    expect((await rt.get(`/restate/invocation/${callerId}/output`)).status).toBe(470);

    // The caller dies before its commit: it still has its outbox row, redelivers, and the
    // callee's duplicate check answers with the stored result instead of running again.
    await rt.restart({ RESOLUTE_TEST_HOLD_ANSWERS: "0" });
    const res = await rt.get(`/restate/invocation/${callerId}/attach`);
    expect(res).toMatchObject({ status: 200, body: "done held-answer" });
    expect(probe.count("held-answer-before")).toBe(1);
    expect(probe.count("held-answer-callee")).toBe(1);
    expect(probe.count("held-answer-after")).toBe(1);
  });

  test("during a delayed send's wait", async () => {
    const sent = await rt.post("/tally/delayed/add/send?delay=1h", 5);
    expect(sent.status).toBe(202);
    expect(sent.body.status).toBe("Accepted");
    expect(Date.parse(sent.body.executionTime) - Date.now()).toBeGreaterThan(3_590_000);
    await rt.restart();
    expect((await rt.post("/tally/delayed/get")).body).toBe(0);
    await advance("o:tally:delayed", 3_600_000);
    await eventually(async () => (await rt.post("/tally/delayed/get")).body === 5);
    await advance("o:tally:delayed", 3_600_000);
    expect((await rt.post("/tally/delayed/get")).body).toBe(5); // delivered once
  });

  test("a delayed send from a handler survives a restart and runs once", async () => {
    const res = await rt.post("/messenger/send", { key: "from-handler", delayMs: 600_000 });
    expect(res.status).toBe(200);
    await rt.restart();
    await advance("o:tally:from-handler", 600_000);
    await eventually(async () => (await rt.post("/tally/from-handler/get")).body === 1);
    expect((await rt.get(`/restate/invocation/${res.body}/output`)).body).toBe(1);
  });
});

describe("idempotency at ingress", () => {
  test("1,000 requests carrying 500 idempotency keys give 500 executions and identical responses per key", async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `idem-${i}`);
    const requests = keys.flatMap((key) => [key, key]).map((key) => rt.post("/once/work", key, { "idempotency-key": key }));
    const responses = await Promise.all(requests);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    for (let i = 0; i < keys.length; i++) {
      expect(responses[2 * i]!.body).toEqual(responses[2 * i + 1]!.body);
      expect(responses[2 * i]!.headers.get("x-restate-id")).toBe(responses[2 * i + 1]!.headers.get("x-restate-id"));
    }
    expect(keys.every((key) => probe.count(`once-${key}`) === 1)).toBe(true);
  });

  test("a repeated send answers PreviouslyAccepted with the same id", async () => {
    const first = await rt.post("/tally/sends/add/send", 1, { "idempotency-key": "s1" });
    const second = await rt.post("/tally/sends/add/send", 1, { "idempotency-key": "s1" });
    expect(first.body.status).toBe("Accepted");
    expect(second.body).toEqual({ invocationId: first.body.invocationId, status: "PreviouslyAccepted" });
    await eventually(async () => (await rt.get(`/restate/invocation/${first.body.invocationId}/output`)).status === 200);
    expect((await rt.post("/tally/sends/get")).body).toBe(1);
  });
});

describe("awakeables", () => {
  test("resolved over HTTP, the waiting handler continues", async () => {
    const pending = rt.post("/approvals/a1/request", "deploy");
    const id = await eventually(async () => (await rt.post("/approvals/a1/pending")).body as string | undefined);
    expect(id).toMatch(/^sign_1/);
    const resolved = await rt.fetch(`/restate/awakeables/${id}/resolve`, { method: "POST", body: JSON.stringify("yes") });
    expect(resolved.status).toBe(202);
    expect(await pending).toMatchObject({ status: 200, body: "deploy: yes" });
  });

  test("resolved from another handler (short /restate/a path works too)", async () => {
    const pending = rt.post("/approvals/a2/request", "merge");
    const id = await eventually(async () => (await rt.post("/approvals/a2/pending")).body as string | undefined);
    expect((await rt.post("/messenger/resolve", { id, value: "approved" })).status).toBe(200);
    expect(await pending).toMatchObject({ status: 200, body: "merge: approved" });
    const again = await rt.fetch(`/restate/a/${id}/resolve`, { method: "POST", body: JSON.stringify("late") });
    expect(again.status).toBe(202); // resolving twice is accepted and ignored
  });

  test("orTimeout fires through the alarm when nobody answers", async () => {
    const pending = rt.post("/approvals/a3/request", "wait");
    await eventually(async () => (await rt.post("/approvals/a3/pending")).body as string | undefined);
    await advance("o:approvals:a3", 3_600_000);
    expect(await pending).toMatchObject({ status: 200, body: "wait: TimeoutError: Timeout occurred" });
  });

  test("a bad awakeable id is a 400 with a clear message", async () => {
    const res = await rt.fetch("/restate/awakeables/nonsense/resolve", { method: "POST", body: "1" });
    expect(res.status).toBe(400);
    expect((await res.json()) as object).toMatchObject({ code: 400, message: expect.stringContaining("bad awakeable id 'nonsense'") });
  });
});

describe("suspension", () => {
  test("while in memory, a completion resumes the waiting handler directly, without replay", async () => {
    const pending = rt.post("/waiter/direct/wait");
    const id = await eventually(async () => (await rt.post("/waiter/direct/awakeable")).body as string | undefined);
    await rt.fetch(`/restate/awakeables/${id}/resolve`, { method: "POST", body: JSON.stringify("x") });
    expect(await pending).toMatchObject({ status: 200, body: "got x" });
    expect(probe.count("waiter-direct-before")).toBe(1); // the code before the await ran once
  });

  test("after the object is gone from memory, the completion resumes the handler by replay", async () => {
    const sent = await rt.post("/waiter/evicted/wait/send");
    const id = await eventually(async () => (await rt.post("/waiter/evicted/awakeable")).body as string | undefined);
    await rt.restart(); // memory gone; progress is in SQLite
    await rt.fetch(`/restate/awakeables/${id}/resolve`, { method: "POST", body: JSON.stringify("y") });
    expect(await rt.get(`/restate/invocation/${sent.body.invocationId}/attach`)).toMatchObject({ status: 200, body: "got y" });
    expect(probe.count("waiter-evicted-before")).toBe(2); // replayed from the journal: the unjournaled part ran again
  });
});

describe("cancellation and attach", () => {
  test("cancel makes the next await throw CancelledError; compensation runs; ingress sees 409", async () => {
    const sent = await rt.post("/longTask/run/send", "c1");
    const id = sent.body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.journal?.length === 1);
    expect((await admin(rt, `invocations/${id}`)).body.status).toBe("suspended"); // waiting on its timer
    const cancelled = await admin(rt, `invocations/${id}/cancel`, "PATCH");
    expect(cancelled.status).toBe(202);
    const res = await rt.get(`/restate/invocation/${id}/attach`);
    expect(res).toMatchObject({ status: 409, body: { code: 409, message: "Cancelled" } });
    expect(probe.count("c1-compensate")).toBe(1);
  });

  test("cancelling a caller propagates to the call it waits on", async () => {
    const sent = await rt.post("/longTask/parent/send", "c2");
    const id = sent.body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.journal?.length === 1);
    await eventually(async () => (await admin(rt, `invocations/${id}/cancel`, "PATCH")).status === 202);
    const res = await rt.get(`/restate/invocation/${id}/attach`);
    expect(res.status).toBe(409);
    expect(probe.count("c2-child-compensate")).toBe(1);
  });

  test("cancel from a handler with ctx.invocation(id).cancel()", async () => {
    const sent = await rt.post("/longTask/run/send", "c3");
    const id = sent.body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.journal?.length === 1);
    expect((await rt.post("/messenger/cancel", id)).status).toBe(200);
    expect((await rt.get(`/restate/invocation/${id}/attach`)).status).toBe(409);
    expect(probe.count("c3-compensate")).toBe(1);
  });

  test("kill stops at once without compensation: 409 killed", async () => {
    const sent = await rt.post("/longTask/run/send", "k1");
    const id = sent.body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.journal?.length === 1);
    expect((await admin(rt, `invocations/${id}/kill`, "PATCH")).status).toBe(202);
    expect(await rt.get(`/restate/invocation/${id}/attach`)).toMatchObject({ status: 409, body: { message: "killed" } });
    expect(probe.count("k1-compensate")).toBe(0);
  });

  test("ctx.invocation(id).attach() waits for another invocation's result", async () => {
    const sent = await rt.post("/chainA/att/start/send", 3);
    const res = await rt.post("/messenger/attach", sent.body.invocationId);
    expect(res).toMatchObject({ status: 200, body: "A(B(C(3)))" });
  });

  test("attach and output for an unknown id are 404", async () => {
    const fake = sentLikeId();
    expect((await rt.get(`/restate/invocation/${fake}/attach`)).status).toBe(404);
    expect((await rt.get(`/restate/invocation/${fake}/output`)).status).toBe(404);
  });
});

function sentLikeId(): string {
  return `inv_1${Buffer.from("o:tally:nobody").toString("base64url")}.deadbeef`;
}
