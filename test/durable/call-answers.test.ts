/**
 * issue waitcap2 (session 4's "noticed and left alone"): a call answered in its delivery's
 * response gives up waiting after CALL_ANSWER_WAIT_MS and is answered by a reply delivery
 * instead; its waiter in memory goes then, not when the callee completes (a day's sleep later).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { object } from "../../sdk/define.js";
import { CALL_ANSWER_WAIT_MS, answerCall, type AnswerableCall } from "../../src/durable/call-answers.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import { Lifecycle } from "../../src/engine/lifecycle.js";
import { MemoryStore } from "../../src/engine/memory-store.js";
import { Registry } from "../../src/engine/registry.js";

const DAY = 86_400_000;
const callee = object({
  name: "callee",
  handlers: {
    nap: async (ctx: ObjectContext) => {
      await ctx.sleep(DAY);
      return "rested";
    },
    quick: async () => "done",
  },
});

function setUp() {
  const store = new MemoryStore();
  const driver = { now: () => 1_000, wakeBy: () => {}, executing: () => {}, deliverSoon: () => {}, randomBytes: (n: number) => new Uint8Array(n), log: () => {} };
  const lifecycle = new Lifecycle(store, driver, { registry: new Registry([callee]), kinds: { kindOf: () => "object", serviceShards: 1 } });
  const owner = "o:callee:k";
  const call = (handler: string, n: number): AnswerableCall => ({
    owner,
    invocationId: makeInvocationId(owner, `${handler}${n}`),
    target: { service: "callee", handler, key: "k" },
    input: new TextEncoder().encode("null"),
    headers: {},
    invokedBy: "inv_caller",
    replyTo: { owner: "o:caller:c", invocationId: "inv_caller", index: n },
  });
  return { lifecycle, store, call };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("issue waitcap2: a call that gives up waiting for its answer", () => {
  it("leaves no waiter behind; its caller is subscribed and the answer travels as a reply delivery", async () => {
    vi.useFakeTimers();
    const { lifecycle, store, call } = setUp();
    const calls = Array.from({ length: 3 }, (_, i) => call("nap", i + 1));
    const answers = calls.map((c) => answerCall(lifecycle, c));
    expect(lifecycle.waiting).toBe(3);
    await vi.advanceTimersByTimeAsync(CALL_ANSWER_WAIT_MS);
    expect(await Promise.all(answers)).toEqual([null, null, null]);
    expect(lifecycle.waiting).toBe(0);
    for (const c of calls) expect(store.takeSubscribers(c.invocationId)).toEqual([c.replyTo]);
  });

  it("a call that finishes in time is answered in the response, its waiter gone with the answer", async () => {
    vi.useFakeTimers();
    const { lifecycle, call } = setUp();
    const answer = answerCall(lifecycle, call("quick", 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(await answer).toMatchObject({ value: expect.any(Uint8Array) });
    expect(lifecycle.waiting).toBe(0);
  });
});
