/**
 * Issue #4: workflows and durable promises on the real runtime.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, advance as advanceClock, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";
import { DEFAULT_WORKFLOW_SHARDS, objectNameOf } from "../../src/engine/addressing.js";
import { ownerName } from "../../src/engine/ids.js";

const ENTRY = "test/worker/fixtures/worker.ts";
const HOUR = 3_600_000;
let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

const advance = (owner: string, ms: number) => advanceClock(rt, owner, ms);

describe("durable promises", () => {
  test("a workflow waits hours on a promise, survives a restart, completes when a shared handler resolves it over HTTP", async () => {
    const submitted = await rt.post("/approval/wf1/run/send", { title: "launch" });
    expect(submitted).toMatchObject({ status: 202, body: { status: "Accepted" } });
    await eventually(async () => (await rt.post("/approval/wf1/stage")).body === "waiting");
    expect((await rt.post("/approval/wf1/peek")).body).toBeNull();

    await advance("w:approval:wf1", 5 * HOUR);
    await rt.restart();
    await advance("w:approval:wf1", 5 * HOUR);
    expect((await rt.get("/restate/workflow/approval/wf1/output")).status).toBe(470);

    expect((await rt.post("/approval/wf1/decide", "approved")).status).toBe(200);
    const attached = await rt.get("/restate/workflow/approval/wf1/attach");
    expect(attached).toMatchObject({ status: 200, body: "launch: approved" });
    expect((await rt.post("/approval/wf1/stage")).body).toBe("decided");
    expect((await rt.post("/approval/wf1/peek")).body).toBe("approved");
    expect(probe.count("approval-wf1-notify")).toBe(1);
  });

  test("resolving a promise twice is a 409 the caller sees", async () => {
    await rt.post("/approval/wf2/run/send", { title: "x" });
    expect((await rt.post("/approval/wf2/decide", "first")).status).toBe(200);
    const second = await rt.post("/approval/wf2/decide", "second");
    expect(second.status).toBe(409);
    expect(second.body.message).toContain("already completed");
    expect((await rt.get("/restate/workflow/approval/wf2/attach")).body).toBe("x: first");
  });

  test("rejecting the promise fails the awaiting run with a TerminalError carrying the reason", async () => {
    await rt.post("/approval/wf-rej/run/send", { title: "y" });
    expect((await rt.post("/approval/wf-rej/refuse", "budget exceeded")).status).toBe(200);
    const res = await rt.get("/restate/workflow/approval/wf-rej/attach");
    expect(res).toMatchObject({ status: 500, body: { message: "budget exceeded" } });
    expect((await rt.post("/approval/wf-rej/stage")).body).toBe("waiting"); // run stopped at the await
  });

  test("shared handlers cannot write workflow state", async () => {
    const res = await rt.post("/approval/wf2/tryWrite");
    expect(res.status).toBe(500);
    expect(res.body.message).toContain("not allowed in a shared handler");
  });
});

describe("run executes at most once per workflow id", () => {
  test("a second run is rejected while running and after finishing; output is 470 then the result", async () => {
    const first = rt.post("/approval/once/run", { title: "deploy" });
    await eventually(async () => (await rt.post("/approval/once/stage")).body === "waiting");
    const whileRunning = await rt.post("/approval/once/run", { title: "again" });
    expect(whileRunning).toMatchObject({ status: 409, body: { message: "the workflow method was already invoked" } });
    expect((await rt.post("/approval/once/run/send", { title: "again" })).body.status).toBe("PreviouslyAccepted");
    expect((await rt.get("/restate/workflow/approval/once/output")).status).toBe(470);

    await rt.post("/approval/once/decide", "ok");
    expect(await first).toMatchObject({ status: 200, body: "deploy: ok" });
    expect((await rt.post("/approval/once/run", { title: "again" })).status).toBe(409);
    expect(await rt.get("/restate/workflow/approval/once/output")).toMatchObject({ status: 200, body: "deploy: ok" });
    expect(probe.count("approval-once-notify")).toBe(1);
  });

  test("retention clean-up removes a finished workflow after the period (default 1 day)", async () => {
    await rt.post("/approval/ret/run/send", { title: "t" });
    await rt.post("/approval/ret/decide", "done");
    await eventually(async () => (await rt.get("/restate/workflow/approval/ret/output")).status === 200);

    await advance("w:approval:ret", 23 * HOUR);
    expect((await rt.get("/restate/workflow/approval/ret/output")).status).toBe(200);
    await advance("w:approval:ret", 2 * HOUR);
    expect((await rt.get("/restate/workflow/approval/ret/output")).status).toBe(404);
    expect((await rt.post("/approval/ret/stage")).body).toBeNull(); // state went with it
    expect((await rt.post("/approval/ret/peek")).body).toBeNull(); // and the promises
  });
});

describe("workflow ids sharing a shard object", () => {
  /** Two approval ids that the default shard count puts in the same Durable Object. */
  function sameShardIds(): [string, string] {
    const shardOf = (id: string) => objectNameOf(ownerName("w", "approval", id), DEFAULT_WORKFLOW_SHARDS);
    const first = "mate-0";
    for (let i = 1; ; i++) if (shardOf(`mate-${i}`) === shardOf(first)) return [first, `mate-${i}`];
  }

  test("keep their own state and promises, run side by side, and expire one by one", async () => {
    const [a, b] = sameShardIds();
    await rt.post(`/approval/${a}/run/send`, { title: "A" });
    await rt.post(`/approval/${b}/run/send`, { title: "B" });
    // Both runs reach their await: one waiting run does not hold up the other.
    await eventually(async () => (await rt.post(`/approval/${a}/stage`)).body === "waiting" && (await rt.post(`/approval/${b}/stage`)).body === "waiting");

    await rt.post(`/approval/${a}/decide`, "yes");
    expect(await rt.get(`/restate/workflow/approval/${a}/attach`)).toMatchObject({ status: 200, body: "A: yes" });
    expect((await rt.post(`/approval/${a}/stage`)).body).toBe("decided");
    expect((await rt.post(`/approval/${b}/stage`)).body).toBe("waiting");
    expect((await rt.post(`/approval/${b}/peek`)).body).toBeNull();
    expect((await admin(rt, `objects/approval/${b}/state`)).body.state.map((s: { key: string; value_utf8: string }) => [s.key, s.value_utf8])).toEqual([["stage", '"waiting"']]);

    await advance(ownerName("w", "approval", a), 25 * HOUR);
    expect((await rt.get(`/restate/workflow/approval/${a}/output`)).status).toBe(404);
    expect((await rt.post(`/approval/${a}/stage`)).body).toBeNull();
    expect((await rt.post(`/approval/${b}/stage`)).body).toBe("waiting"); // b's instance is still there

    await rt.post(`/approval/${b}/decide`, "no");
    expect(await rt.get(`/restate/workflow/approval/${b}/attach`)).toMatchObject({ status: 200, body: "B: no" });
  });
});

describe("long workflows", () => {
  test("1,000 ctx.run steps complete and replay correctly after a restart in the middle", async () => {
    probe.close("long-big-middle");
    await rt.post("/longRunner/big/run/send", 1000);
    await probe.waitForHits("long-big-middle", 1);
    expect((await rt.post("/longRunner/big/progress")).body).toBe(500);

    await rt.restart();
    probe.open("long-big-middle");
    const result = await rt.get("/restate/workflow/longRunner/big/attach");
    expect(result).toMatchObject({ status: 200, body: (999 * 1000) / 2 });
    expect(probe.count("long-big-middle")).toBe(2);

    const id = result.headers.get("x-restate-id")!;
    const described = await admin(rt, `invocations/${id}`);
    expect(described.body.journal).toHaveLength(2000); // 1,000 runs + 1,000 state writes
    const largest = Math.max(...described.body.journal.map((e: object) => JSON.stringify(e).length));
    expect(largest).toBeLessThan(2 * 1024 * 1024); // every row far below the 2 MB SQLite row limit
  });
});
