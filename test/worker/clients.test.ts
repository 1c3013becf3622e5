/**
 * Restate's published TypeScript client (@restatedev/restate-sdk-clients) and
 * Resolute's own `connect()` against Resolute's ingress: calls, sends, delayed
 * sends, idempotent calls, attach, awakeables and workflows (issues #3, #4).
 */
import * as restate from "@restatedev/restate-sdk-clients";
import { describe, expect, test } from "vitest";
import { connect } from "../../sdk/client.js";
import { WorkerdRuntime, advance as advanceClock, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import type { Probe } from "../support/probe.js";
import { approval } from "./fixtures/workflows.js";
import { approvals, once, tally } from "./fixtures/rpc.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let probe: Probe;
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r, p) => ((rt = r), (probe = p)));

const advance = (owner: string, ms: number) => advanceClock(rt, owner, ms);
// Restate's client only reads `name` from a definition at runtime.
const def = (d: { name: string }) => d as never;

describe("@restatedev/restate-sdk-clients against Resolute", () => {
  // Restate's typed clients are exercised untyped here: the definitions are ours, not restate.service()s.
  const ingress = (): any => restate.connect({ url: rt.url.origin });

  test("service and object calls", async () => {
    expect(await ingress().serviceClient(def({ name: "steps" })).echo("hi")).toMatchObject({ value: "hi" });
    expect(await ingress().objectClient(def(tally), "rc1").add(3)).toBe(3);
    expect(await ingress().objectClient(def(tally), "rc1").add(4)).toBe(7);
  });

  test("terminal errors surface as HttpCallError with the code", async () => {
    const error = await ingress().serviceClient(def({ name: "steps" })).saga({ id: "rc-saga", decline: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(restate.HttpCallError);
    expect((error as restate.HttpCallError).status).toBe(402);
  });

  test("send, delayed send and result()", async () => {
    const sent = await ingress().objectSendClient(def(tally), "rc2").add(1, restate.rpc.sendOpts({ idempotencyKey: "rc2-a" }));
    expect(sent.status).toBe("Accepted");
    expect(await ingress().result(sent)).toBe(1);

    const delayed = await ingress().objectSendClient(def(tally), "rc2").add(10, restate.rpc.sendOpts({ delay: { hours: 2 } }));
    expect(delayed.status).toBe("Accepted");
    expect(await ingress().objectClient(def(tally), "rc2").get()).toBe(1);
    await advance("o:tally:rc2", 2 * 3_600_000);
    await eventually(async () => (await ingress().objectClient(def(tally), "rc2").get()) === 11);
  });

  test("idempotent calls return the first response", async () => {
    const opts = restate.rpc.opts({ idempotencyKey: "rc-once" });
    const first = await ingress().serviceClient(def(once)).work("rc-once", opts);
    const second = await ingress().serviceClient(def(once)).work("rc-once", opts);
    expect(second).toEqual(first);
    expect(probe.count("once-rc-once")).toBe(1);
  });

  test("awakeable resolution", async () => {
    const pending = ingress().objectClient(def(approvals), "rc3").request("ship");
    const id = await eventually(async () => (await ingress().objectClient(def(approvals), "rc3").pending()) as string | null);
    await ingress().resolveAwakeable(id, "go");
    expect(await pending).toBe("ship: go");
  });

  test("workflow submit, attach, output and shared handlers", async () => {
    const client = ingress().workflowClient(def(approval), "rc-wf");
    const submission = await client.workflowSubmit({ title: "plan" });
    expect(submission.status).toBe("Accepted");
    expect((await client.workflowOutput()).ready).toBe(false);
    await eventually(async () => (await client.stage()) === "waiting");
    await client.decide("yes");
    expect(await client.workflowAttach()).toBe("plan: yes");
    const output = await client.workflowOutput();
    expect(output).toMatchObject({ ready: true, result: "plan: yes" });
  });
});

describe("Resolute's connect() client", () => {
  const ingress = () => connect({ url: rt.url.origin });

  test("typed calls, sends, idempotent calls and result()", async () => {
    expect(await ingress().objectClient(tally, "own1").add(2)).toBe(2);
    const sent = await ingress().objectSendClient(tally, "own1").add(5, { idempotencyKey: "own1-a" });
    expect(await ingress().result(sent)).toBe(7);
    const again = await ingress().objectSendClient(tally, "own1").add(5, { idempotencyKey: "own1-a" });
    expect(again).toMatchObject({ invocationId: sent.invocationId, status: "PreviouslyAccepted" });
    const a = await ingress().serviceClient(once).work("own-once", { idempotencyKey: "own-once" });
    const b = await ingress().serviceClient(once).work("own-once", { idempotencyKey: "own-once" });
    expect(b).toEqual(a);
  });

  test("calls and sends by name, and a deadline that gives up waiting (the invocation still runs)", async () => {
    expect(await ingress().call({ service: "tally", key: "own4", handler: "add", parameter: 4 })).toBe(4);
    const sent = await ingress().send({ service: "tally", key: "own4", handler: "add", parameter: 1, opts: { idempotencyKey: "own4-b" } });
    expect(await ingress().result(sent)).toBe(5);

    const slow = await ingress().call({ service: "counter", key: "own5", handler: "sleepThenAdd", parameter: 400, opts: { idempotencyKey: "own5", timeout: 50 } }).catch((e: unknown) => e);
    expect((slow as Error).name).toBe("TimeoutError");
    // The request was durable before the client gave up: the same key latches onto it and sees its answer.
    expect(await ingress().call({ service: "counter", key: "own5", handler: "sleepThenAdd", parameter: 400, opts: { idempotencyKey: "own5" } })).toBe(1);
  });

  test("a client with retries on talks to the real ingress as before", async () => {
    const retrying = connect({ url: rt.url.origin, retry: { initialInterval: 1 } });
    expect(await retrying.objectClient(tally, "own6").add(3, { idempotencyKey: "own6" })).toBe(3);
    expect(await retrying.objectClient(tally, "own6").add(3, { idempotencyKey: "own6" })).toBe(3);
    expect(await retrying.objectClient(tally, "own6").get()).toBe(3);
  });

  test("delayed send and awakeables", async () => {
    await ingress().objectSendClient(tally, "own2").add(1, { delay: { minutes: 30 } });
    await advance("o:tally:own2", 30 * 60_000);
    await eventually(async () => (await ingress().objectClient(tally, "own2").get()) === 1);

    const pending = ingress().objectClient(approvals, "own3").request("ok?");
    const id = await eventually(async () => await ingress().objectClient(approvals, "own3").pending());
    await ingress().rejectAwakeable(id!, "no way");
    expect(await pending).toBe("ok?: TerminalError: no way");
  });

  test("workflow submit / attach / output", async () => {
    const wf = ingress().workflowClient(approval, "own-wf");
    await wf.workflowSubmit({ title: "trip" });
    expect((await wf.workflowOutput()).ready).toBe(false);
    await eventually(async () => (await wf.stage()) === "waiting");
    await wf.decide("approved");
    expect(await wf.workflowAttach()).toBe("trip: approved");
    expect(await wf.workflowOutput()).toMatchObject({ ready: true, result: "trip: approved" });
  });
});
