/**
 * issue #10: completions are authenticated. An awakeable id completes only a pending
 * awakeable entry of a live invocation, and carries a random secret. Ids forged every
 * way the old scheme allowed (`sign_1` + base64url(invocationId/index), where a
 * workflow's run id derives from its workflow id) are answered 4xx and change nothing:
 * not the journal, not the waiting workflow, not the pending timer or call.
 */
import { describe, expect, test } from "vitest";
import { makeAwakeableId, makeInvocationId, ownerName } from "../../src/engine/ids.js";
import type { Probe } from "../support/probe.js";
import { WorkerdRuntime, admin, advance, eventually, useRuntimeWithProbe } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let rt: WorkerdRuntime;
let probe: Probe;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

/** The id the old scheme gave entry `index`: computable by anyone who knows the invocation id. */
const oldFormat = (invocationId: string, index: number) => makeAwakeableId(invocationId, index, null);
/** The new form with a guessed secret. */
const guessed = (invocationId: string, index: number) => makeAwakeableId(invocationId, index, "A".repeat(22));

async function complete(id: string, action: "resolve" | "reject" = "resolve"): Promise<{ status: number; body: any }> {
  const response = await rt.fetch(`/restate/awakeables/${id}/${action}`, { method: "POST", body: JSON.stringify("forged") });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Each forged id gets `status` for both resolve and reject, with Restate's error shape. */
async function expectRefused(ids: string[], status: 400 | 404): Promise<void> {
  for (const id of ids) {
    for (const action of ["resolve", "reject"] as const) {
      const answer = await complete(id, action);
      expect(answer, `${action} ${id}`).toMatchObject({ status, body: { code: status, source: "ingress" } });
    }
  }
}

/** [entry type, completed] per journal entry, from the admin API. */
async function journalOf(invocationId: string): Promise<[string, boolean][]> {
  const described = await admin(rt, `invocations/${encodeURIComponent(invocationId)}`);
  return (described.body.journal as { entry_type: string; completed: boolean }[]).map((e) => [e.entry_type, Boolean(e.completed)]);
}

async function waitForJournal(invocationId: string, expected: [string, boolean][]): Promise<void> {
  await eventually(async () => JSON.stringify(await journalOf(invocationId)) === JSON.stringify(expected));
}

async function timersOf(object: string): Promise<unknown[]> {
  const response = await rt.fetch(`/restate/admin/objects/${object}/query`, {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json" },
    body: JSON.stringify({ query: "SELECT idx, at FROM timers ORDER BY idx" }),
  });
  return ((await response.json()) as { rows: unknown[] }).rows;
}

describe("forged completion ids are refused and change nothing", () => {
  test("a workflow's durable promise: the id computed from the workflow id does not resolve it", async () => {
    const runId = makeInvocationId(ownerName("w", "approval", "forge-1"), "run");
    expect((await rt.post("/approval/forge-1/run/send", { title: "launch" })).body.invocationId).toBe(runId);
    const waiting: [string, boolean][] = [["setState", true], ["run", true], ["getPromise", false]];
    await waitForJournal(runId, waiting);

    await expectRefused([oldFormat(runId, 2), oldFormat(runId, 1), oldFormat(runId, 3)], 400);
    await expectRefused([guessed(runId, 2), guessed(runId, 0), guessed(runId, 3)], 404);

    expect(await journalOf(runId)).toEqual(waiting);
    expect((await rt.post("/approval/forge-1/stage")).body).toBe("waiting");
    expect((await rt.post("/approval/forge-1/peek")).body).toBeNull();
    // Its own mechanism still works: the workflow's shared handler resolves the promise.
    await rt.post("/approval/forge-1/decide", "approved");
    expect((await rt.get("/restate/workflow/approval/forge-1/attach")).body).toBe("launch: approved");
  });

  test("a sleep: forged ids do not fire its timer", async () => {
    const { invocationId } = (await rt.post("/counter/forge-2/sleepThenAdd/send", 86_400_000)).body;
    await waitForJournal(invocationId, [["sleep", false]]);
    const timers = await timersOf("counter/forge-2");
    expect(timers).toHaveLength(1);

    await expectRefused([oldFormat(invocationId, 0)], 400);
    await expectRefused([guessed(invocationId, 0)], 404);

    expect(await journalOf(invocationId)).toEqual([["sleep", false]]);
    expect(await timersOf("counter/forge-2")).toEqual(timers);
    expect((await rt.post("/counter/forge-2/get")).body).toBe(0);
    // The alarm still fires it.
    await advance(rt, "o:counter:forge-2", 86_400_000);
    expect((await rt.get(`/restate/invocation/${invocationId}/attach`)).body).toBe(1);
  });

  test("a call: forged ids do not complete the caller's call entry", async () => {
    probe.close("forge-3-callee");
    const { invocationId } = (await rt.post("/messenger/callGated/send", "forge-3")).body;
    const waiting: [string, boolean][] = [["run", true], ["call", false]];
    await waitForJournal(invocationId, waiting);

    await expectRefused([oldFormat(invocationId, 1)], 400);
    await expectRefused([guessed(invocationId, 1)], 404);

    expect(await journalOf(invocationId)).toEqual(waiting);
    probe.open("forge-3-callee");
    expect((await rt.get(`/restate/invocation/${invocationId}/attach`)).body).toBe("done forge-3");
  });

  test("an awakeable: only its real id completes it; a wrong secret, another index or an old-format id do not", async () => {
    const { invocationId } = (await rt.post("/approvals/forge-4/request/send", "deploy")).body;
    const id = await eventually(async () => (await rt.post("/approvals/forge-4/pending")).body as string | undefined);
    const decoded = Buffer.from(id.slice("sign_1".length), "base64url").toString();
    const secret = decoded.split("/")[2]!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const tampered = makeAwakeableId(invocationId, 0, (secret[0] === "A" ? "B" : "A") + secret.slice(1));

    await expectRefused([oldFormat(invocationId, 0), "sign_1", "sign_1@@@", `sign_1${Buffer.from("junk").toString("base64url")}`, "prom_1abc"], 400);
    await expectRefused([guessed(invocationId, 0), tampered, makeAwakeableId(invocationId, 1, secret), makeAwakeableId(invocationId, 2, secret)], 404);
    // From another handler (ctx.resolveAwakeable), a forged id is accepted as a message but completes nothing.
    expect((await rt.post("/messenger/resolve", { id: guessed(invocationId, 0), value: "forged" })).status).toBe(200);

    expect(await journalOf(invocationId)).toEqual([["awakeable", false], ["setState", true], ["sleep", false]]);
    expect((await complete(id)).status).toBe(202);
    expect((await rt.get(`/restate/invocation/${invocationId}/attach`)).body).toBe("deploy: forged");
  });

  test("an awakeable of an invocation that is over: its real id is refused and the result stays", async () => {
    const { invocationId } = (await rt.post("/approvals/forge-5/request/send", "wait")).body;
    const id = await eventually(async () => (await rt.post("/approvals/forge-5/pending")).body as string | undefined);
    await advance(rt, "o:approvals:forge-5", 3_600_000);
    const result = "wait: TimeoutError: Timeout occurred";
    expect((await rt.get(`/restate/invocation/${invocationId}/attach`)).body).toBe(result);
    await expectRefused([id], 404);
    expect((await journalOf(invocationId))[0]).toEqual(["awakeable", false]);
    expect((await rt.get(`/restate/invocation/${invocationId}/output`)).body).toBe(result);
  });

  test("ctx.resolveAwakeable from another handler still completes the real id", async () => {
    const pending = rt.post("/approvals/forge-6/request", "merge");
    const id = await eventually(async () => (await rt.post("/approvals/forge-6/pending")).body as string | undefined);
    expect((await rt.post("/messenger/resolve", { id, value: "approved" })).status).toBe(200);
    expect(await pending).toMatchObject({ status: 200, body: "merge: approved" });
  });
});
