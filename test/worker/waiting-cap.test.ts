/**
 * hostile "dropped attaches pile up": requests waiting in an object for a result are capped
 * (MAX_WAITING_REQUESTS per object). Past the cap an attach or a call is refused at once with
 * Restate's 429 from the ingress and a Retry-After, and a refused call starts nothing; the
 * dropped waiters go when the invocation completes, and later attaches and calls work again.
 */
import { expect, test } from "vitest";
import { MAX_WAITING_REQUESTS, WAITING_RETRY_AFTER_SECONDS } from "../../src/engine/callers.js";
import { WorkerdRuntime, advance, eventually, useRuntimeWithProbe } from "../support/runtime.js";

let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r) => (rt = r));

const HOUR = 3_600_000;

test("hostile: attaches past the cap are refused at once with 429 and Retry-After; after the invocation completes, attaches and calls work again", { timeout: 120_000 }, async () => {
  const key = "waitcap";
  const sent = await rt.post(`/counter/${key}/sleepThenAdd/send`, HOUR);
  expect(sent.status).toBe(202);
  const id: string = sent.body.invocationId;
  const attach = `/restate/invocation/${id}/attach`;

  // cap + 50 attaches at once, each with its own controller (dropped below, as a client that goes away).
  const controllers: AbortController[] = [];
  const refused: { status: number; retryAfter: string | null; source: string | null; body: any }[] = [];
  const extra = 50;
  for (let i = 0; i < MAX_WAITING_REQUESTS + extra; i++) {
    const controller = new AbortController();
    controllers.push(controller);
    rt.fetch(attach, { signal: controller.signal })
      .then(async (response) => {
        refused.push({ status: response.status, retryAfter: response.headers.get("retry-after"), source: response.headers.get("x-restate-error-source"), body: await response.json() });
      })
      .catch(() => {}); // aborted below
  }
  await eventually(async () => refused.length >= extra, 60_000);
  // The waiting ones hold; a moment later still no more than the extra were answered.
  const more = await rt.fetch(attach);
  expect(more.status).toBe(429);
  await more.text();
  expect(refused.length).toBe(extra);
  for (const answer of refused) {
    expect(answer.status).toBe(429);
    expect(answer.retryAfter).toBe(String(WAITING_RETRY_AFTER_SECONDS));
    expect(answer.source).toBe("ingress");
    expect(answer.body).toEqual({ code: 429, message: expect.stringMatching(/too many requests wait/), source: "ingress" });
  }

  // A call to the full object is refused too, before it is admitted: it never runs.
  const call = await rt.post(`/counter/${key}/add`, 100);
  expect(call.status).toBe(429);
  expect(call.headers.get("retry-after")).toBe(String(WAITING_RETRY_AFTER_SECONDS));

  // The clients go away; the object cannot tell, and its waiters go when the invocation completes.
  for (const controller of controllers) controller.abort();
  const advanced = await advance(rt, `o:counter:${key}`, HOUR);
  expect(advanced.status).toBe(200);

  const after = await eventually(async () => {
    const response = await rt.get(attach);
    return response.status === 200 ? response : undefined;
  });
  expect(after.body).toBe(1); // the sleep's +1 alone: the refused call added nothing
  expect((await rt.post(`/counter/${key}/add`, 5)).body).toBe(6);
  // The cap is free again: a long wait is admitted, not refused.
  const second = await rt.post(`/counter/${key}/sleepThenAdd/send`, HOUR);
  const waiting = rt.fetch(`/restate/invocation/${second.body.invocationId}/attach`);
  await advance(rt, `o:counter:${key}`, HOUR);
  const answered = await waiting;
  expect(answered.status).toBe(200);
  expect(await answered.json()).toBe(7);
});
