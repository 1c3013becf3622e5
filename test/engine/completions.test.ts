/**
 * issue #10: the memory runtime (what `createTestRuntime` users test against)
 * keeps the same completion rules as the Durable Object: an awakeable id completes
 * only a pending awakeable of a live invocation, and carries a journaled random
 * secret; forged ids change nothing.
 */
import { describe, expect, it } from "vitest";
import type { Context, WorkflowContext, WorkflowSharedContext } from "../../sdk/context.js";
import { service, workflow } from "../../sdk/define.js";
import { createTestRuntime } from "../../sdk/testing.js";
import { cancellationTargets, judgeCompletion } from "../../src/engine/completions.js";
import { makeAwakeableId, parseAwakeableId } from "../../src/engine/ids.js";
import type { Entry } from "../../src/engine/types.js";
import { MODES, runtime, seededRandom, shape } from "./support.js";

let published: string[] = [];

const signup = workflow({
  name: "signup",
  handlers: {
    run: async (ctx: WorkflowContext, email: string) => {
      const verified = ctx.promise<string>("verified");
      const outcome = await verified.get().orTimeout({ hours: 24 }).catch(() => "expired");
      return `${email}: ${outcome}`;
    },
    verify: async (ctx: WorkflowSharedContext, code: string) => ctx.promise<string>("verified").resolve(code),
  },
});

const waiter = service({
  name: "waiter",
  handlers: {
    wait: async (ctx: Context) => {
      const signal = ctx.awakeable<string>();
      await ctx.run("publish", () => void published.push(signal.id));
      return signal.promise;
    },
    signal: async (ctx: Context, input: { id: string; value: string }) => ctx.resolveAwakeable(input.id, input.value),
  },
});

const forgedSecret = "A".repeat(22);

describe.each(MODES)("completions in memory ($mode)", ({ alwaysReplay }) => {
  it("issue #10: ids computed from a workflow id complete neither its promise nor its timer", async () => {
    const rt = runtime([signup], alwaysReplay);
    const id = await rt.invoke("signup", "run", "ada@example.com", { key: "ada" });
    const before = rt.journal(id);
    expect(shape(before)).toEqual(["getPromise(verified)", "sleep()"]);
    for (const index of [0, 1, 2]) {
      await expect(rt.resolveAwakeable(makeAwakeableId(id, index, null), "forged")).rejects.toThrow(TypeError);
      await expect(rt.resolveAwakeable(makeAwakeableId(id, index, forgedSecret), "forged")).rejects.toThrow(/not found/);
    }
    expect(rt.journal(id)).toEqual(before);
    expect(rt.info(id).status).toBe("running");
    await rt.invoke("signup", "verify", "1234", { key: "ada" });
    expect(rt.result(id)).toBe("ada@example.com: 1234");
  });

  it("issue #10: only the real id completes an awakeable, from ingress or from another handler", async () => {
    published = [];
    const rt = runtime([waiter], alwaysReplay);
    const id = await rt.invoke("waiter", "wait");
    const real = published[0]!;
    const address = parseAwakeableId(real);
    if ("error" in address) throw new Error(address.error);
    expect(address).toMatchObject({ invocationId: id, index: 0 });
    await expect(rt.resolveAwakeable(makeAwakeableId(id, 0, forgedSecret), "forged")).rejects.toThrow(/not found/);
    await expect(rt.resolveAwakeable(makeAwakeableId(id, 1, address.secret), "forged")).rejects.toThrow(/not found/);
    await rt.invoke("waiter", "signal", { id: makeAwakeableId(id, 0, forgedSecret), value: "forged" });
    expect(rt.info(id).status).toBe("running");
    await rt.invoke("waiter", "signal", { id: real, value: "real" });
    expect(rt.result(id)).toBe("real");
    // A repeat of a completed awakeable is ignored (as ingress answers 202), not refused.
    await rt.resolveAwakeable(real, "again");
    expect(rt.result(id)).toBe("real");
  });

  it("replays hand out the same awakeable id: its secret is journaled, not drawn again", async () => {
    published = [];
    const rt = runtime([waiter], alwaysReplay);
    const id = await rt.invoke("waiter", "wait");
    await rt.crash(id);
    await rt.crash(id);
    expect(new Set(published).size).toBe(1);
    await rt.resolveAwakeable(published[0]!, "after replays");
    expect(rt.result(id)).toBe("after replays");
  });
});

describe("the random source", () => {
  it("sdk/testing draws awakeable secrets from a real source: two runtimes give different ids", async () => {
    published = [];
    for (let i = 0; i < 2; i++) await createTestRuntime({ services: [waiter] }).invoke("waiter", "wait");
    expect(published).toHaveLength(2);
    const [a, b] = published.map((id) => parseAwakeableId(id) as { secret: string; invocationId: string });
    expect(a!.invocationId).toBe(b!.invocationId);
    expect(a!.secret).not.toBe(b!.secret);
  });

  it("a runtime without one says how to get one when a handler makes an awakeable", async () => {
    const { createTestRuntime: engineRuntime } = await import("../../src/engine/memory.js");
    const rt = engineRuntime({ services: [waiter] });
    const id = await rt.invoke("waiter", "wait");
    expect(rt.info(id).lastError?.message).toMatch(/no random source/);
  });

  it("a seeded source makes runs comparable", async () => {
    const draw = (source: (b: Uint8Array) => Uint8Array) => Array.from(source(new Uint8Array(4)));
    expect(draw(seededRandom(7))).toEqual(draw(seededRandom(7)));
  });
});

describe("judgeCompletion", () => {
  const sleep: Entry = { index: 0, type: "sleep", name: "", done: false, wakeAt: 5 };
  const call: Entry = { index: 1, type: "call", name: "svc/h", done: false, calleeId: "inv_1callee.x" };
  const attach: Entry = { index: 2, type: "attach", name: "inv_1other.y", done: false };
  const awakeable: Entry = { index: 3, type: "awakeable", name: "", done: false, secret: "s".repeat(22) };
  const legacy: Entry = { index: 4, type: "awakeable", name: "", done: false, secret: null };
  const promise: Entry = { index: 5, type: "getPromise", name: "verified", done: false };
  const live = (entry: Entry) => ({ entry, live: true });

  it("lets each source complete only its own entries", () => {
    expect(judgeCompletion(live(sleep), { kind: "timer" })).toBe("complete");
    expect(judgeCompletion(live(awakeable), { kind: "timer" })).toBe("refused");
    expect(judgeCompletion(live(awakeable), { kind: "awakeable", secret: "s".repeat(22) })).toBe("complete");
    expect(judgeCompletion(live(awakeable), { kind: "awakeable", secret: "t".repeat(22) })).toBe("refused");
    expect(judgeCompletion(live(legacy), { kind: "awakeable", secret: "s".repeat(22) })).toBe("refused");
    for (const entry of [sleep, call, promise]) expect(judgeCompletion(live(entry), { kind: "awakeable", secret: "s".repeat(22) })).toBe("refused");
    expect(judgeCompletion(live(call), { kind: "result", calleeId: "inv_1callee.x" })).toBe("complete");
    expect(judgeCompletion(live(call), { kind: "result", calleeId: "inv_1else.z" })).toBe("refused");
    expect(judgeCompletion(live(attach), { kind: "result", calleeId: "inv_1other.y" })).toBe("complete");
    expect(judgeCompletion(live(promise), { kind: "result", calleeId: "inv_1callee.x" })).toBe("refused");
    expect(judgeCompletion(live(promise), { kind: "cancel" })).toBe("complete");
  });

  it("refuses a pending entry of an invocation that is over, and calls a repeat a duplicate", () => {
    expect(judgeCompletion({ entry: awakeable, live: false }, { kind: "awakeable", secret: "s".repeat(22) })).toBe("refused");
    expect(judgeCompletion(live({ ...awakeable, done: true }), { kind: "awakeable", secret: "s".repeat(22) })).toBe("duplicate");
    expect(judgeCompletion(undefined, { kind: "timer" })).toBe("refused");
  });

  it("cancellation strikes pending awaits and follows pending calls to their callees", () => {
    expect(cancellationTargets([sleep, call, attach, { ...awakeable, done: true }])).toEqual({ strike: [0, 2], callees: ["inv_1callee.x"] });
  });
});
