/**
 * Issue 14: a handler's request-response call to a stateless service without a limit runs in
 * the caller's own owner (addressing.ts's callAddress): its id names that owner, and nothing
 * crosses to an executor shard. Ingress calls, one-way and delayed sends, idempotent calls and
 * limited services stay on the shards. Each test fails without the feature: every callee id then
 * names an `s:` shard. A fan-out keeps only its first callee beside its caller (beside-calls.ts):
 * those tests fail when every callee stays there, or when a replay forgets the callees in flight.
 */
import { describe, expect, it } from "vitest";
import type { Context, ObjectContext } from "../../sdk/context.js";
import { rpc } from "../../sdk/client-types.js";
import { object, service } from "../../sdk/define.js";
import { RestatePromise } from "../../sdk/promise.js";
import { invocationOwner } from "../../src/engine/ids.js";
import { MODES, runtime } from "./support.js";

const ran: string[] = [];
/** While set, the callee's second step waits for it (the test crashes the host meanwhile). */
let gate: Promise<void> | undefined;

const work = service({
  name: "work",
  handlers: {
    double: async (ctx: Context, n: number) => {
      const first = await ctx.run("first", () => (ran.push(`first ${n}`), n));
      const second = await ctx.run("second", async () => (ran.push(`second ${n}`), await gate, n));
      return first + second;
    },
  },
});

/** Reads state through an untyped context: a stateless service has none, even living in an object. */
const peek = service({ name: "peek", handlers: { read: async (ctx: Context) => ({ value: await (ctx as unknown as ObjectContext).get<string>("secret"), keys: await (ctx as unknown as ObjectContext).stateKeys() }) } });

const limitedWork = service({ name: "limitedWork", options: { concurrency: { limit: 2 } }, handlers: { double: async (_ctx: Context, n: number) => 2 * n } });

const other = object({ name: "other", handlers: { echo: async (_ctx: ObjectContext, n: number) => n } });

const caller = object({
  name: "caller",
  handlers: {
    /** Every kind of outgoing invocation once; the ids of each. */
    mixed: async (ctx: ObjectContext, n: number) => {
      const plain = ctx.serviceClient(work).double(n);
      const sent = ctx.serviceSendClient(work).double(n);
      const delayed = ctx.serviceSendClient(work).double(n, rpc.sendOpts({ delay: 1_000 }));
      const idempotent = ctx.serviceClient(work).double(n, rpc.opts({ idempotencyKey: `once-${n}` }));
      const limited = ctx.serviceClient(limitedWork).double(n);
      const keyed = ctx.objectClient(other, "x").echo(n);
      const results = [await plain, await idempotent, await limited, await keyed];
      const ids = { plain: await plain.invocationId, sent: await sent.invocationId, delayed: await delayed.invocationId, idempotent: await idempotent.invocationId, limited: await limited.invocationId, keyed: await keyed.invocationId };
      return { results, ids };
    },
    peek: async (ctx: ObjectContext) => {
      ctx.set("secret", "the object's");
      return ctx.serviceClient(peek).read();
    },
    /** Issue 14, fan-out: n calls at once (Restate's "parallelizing work"), then their results and ids. */
    fanOut: async (ctx: ObjectContext, n: number) => {
      const calls = Array.from({ length: n }, (_, i) => ctx.serviceClient(work).double(i));
      const results = await RestatePromise.all(calls);
      return { results, ids: await Promise.all(calls.map((c) => c.invocationId)) };
    },
    /** Issue 14, chain: n calls one after another, each awaited before the next. */
    chain: async (ctx: ObjectContext, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const call = ctx.serviceClient(work).double(i);
        await call;
        ids.push(await call.invocationId);
      }
      return ids;
    },
    /** A call, a sleep while it is in flight (a crash may come meanwhile), another call: both ids. */
    callSleepCall: async (ctx: ObjectContext) => {
      const first = ctx.serviceClient(work).double(1);
      await ctx.sleep(1_000);
      const second = ctx.serviceClient(work).double(2);
      await RestatePromise.all([first, second]);
      return [await first.invocationId, await second.invocationId];
    },
    call: async (ctx: ObjectContext, n: number) => {
      const result = await ctx.serviceClient(work).double(n);
      await ctx.run("after", () => void ran.push(`after ${n}`));
      return result;
    },
  },
});

/** A stateless service calling another: the callee runs on the caller's shard. */
const relay = service({ name: "relay", handlers: { pass: async (ctx: Context, n: number) => ({ value: await ctx.serviceClient(work).double(n), id: ctx.request().id }) } });

const services = [work, peek, limitedWork, other, caller, relay];

describe.each(MODES)("issue 14: calls to a stateless service run beside their caller ($mode)", ({ alwaysReplay }) => {
  it("a plain call's callee lives in the caller's object; sends, delayed sends, idempotent calls, limited services and objects do not", async () => {
    const rt = runtime(services, alwaysReplay);
    const id = await rt.invoke("caller", "mixed", 3, { key: "k" });
    await rt.advance(1_000);
    const { results, ids } = rt.result<{ results: number[]; ids: Record<string, string> }>(id);
    expect(results).toEqual([6, 6, 6, 3]);
    const owners = Object.fromEntries(Object.entries(ids).map(([what, calleeId]) => [what, invocationOwner(calleeId)!.replace(/:\d+$/, ":N")]));
    expect(owners).toEqual({ plain: "o:caller:k", sent: "s:work:N", delayed: "s:work:N", idempotent: "s:work:N", limited: "s:limitedWork:N", keyed: "o:other:x" });
    // The callee beside its caller is an invocation of its own service, listed and completed as any other.
    const info = rt.info(ids.plain!);
    expect(info).toMatchObject({ owner: "o:caller:k", target: { service: "work", handler: "double" }, status: "completed" });
    expect(rt.result(ids.plain!)).toBe(6);
    // Ingress calls stay on the shards.
    const fromIngress = rt.invocations().filter((i) => i.target.service === "work" && !Object.values(ids).includes(i.id));
    expect(fromIngress).toEqual([]);
    expect(invocationOwner(await rt.invoke("work", "double", 1))).toMatch(/^s:work:\d+$/);
  });

  it("a callee living in an object does not read the object's state", async () => {
    const rt = runtime(services, alwaysReplay);
    expect(await rt.call("caller", "peek", undefined, { key: "p" })).toEqual({ value: null, keys: [] });
    expect(rt.invocations().find((i) => i.target.service === "peek")?.owner).toBe("o:caller:p");
  });

  it("a stateless service's call runs on its caller's shard", async () => {
    const rt = runtime(services, alwaysReplay);
    const id = await rt.invoke("relay", "pass", 4);
    const calleeOwners = rt.invocations().filter((i) => i.target.service === "work").map((i) => i.owner);
    expect(calleeOwners).toEqual([invocationOwner(id)]);
    expect(rt.result(id)).toMatchObject({ value: 8 });
  });

  it("a crash in the middle of the callee: the caller finishes once and the callee's durable step is not run again", async () => {
    ran.length = 0;
    const rt = runtime(services, alwaysReplay);
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const id = await rt.invoke("caller", "call", 5, { key: "c" });
    const callee = rt.invocations().find((i) => i.target.service === "work")!;
    expect(callee).toMatchObject({ owner: "o:caller:c", status: "running" });
    // The host dies while the callee's second step runs (its first is stored): both are replayed.
    gate = undefined;
    await rt.crash();
    open();
    expect(rt.result(id)).toBe(10);
    expect(ran.filter((r) => r.startsWith("first"))).toEqual(["first 5"]);
    expect(ran.filter((r) => !r.startsWith("first"))).toEqual(["second 5", "second 5", "after 5"]);
  });

  it("issue 14: a fan-out keeps one callee beside its caller and spreads the others over the shards", async () => {
    const rt = runtime(services, alwaysReplay);
    const id = await rt.invoke("caller", "fanOut", 8, { key: "f" });
    const { results, ids } = rt.result<{ results: number[]; ids: string[] }>(id);
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    const owners = ids.map((calleeId) => invocationOwner(calleeId)!);
    expect(owners[0]).toBe("o:caller:f");
    expect(owners.filter((owner) => owner === "o:caller:f")).toHaveLength(1);
    expect(owners.slice(1).every((owner) => /^s:work:\d+$/.test(owner))).toBe(true);
  });

  it("issue 14: a chain of calls, each awaited before the next, keeps every callee beside its caller", async () => {
    const rt = runtime(services, alwaysReplay);
    const ids = await rt.call<string[]>("caller", "chain", 5, { key: "ch" });
    expect(ids.map((calleeId) => invocationOwner(calleeId))).toEqual(Array(5).fill("o:caller:ch"));
  });

  it("issue 14: a crash in the middle of a fan-out keeps every callee's journaled id (a replay does not decide again)", async () => {
    ran.length = 0;
    const rt = runtime(services, alwaysReplay);
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const id = await rt.invoke("caller", "fanOut", 4, { key: "fc" });
    const journaled = (): string[] => rt.journal(id).flatMap((e) => (e.type === "call" ? [e.calleeId] : []));
    const before = journaled();
    expect(before).toHaveLength(4);
    // Every callee waits in its second step: the one beside the caller dies with it, the others replay too.
    await rt.crash();
    expect(journaled()).toEqual(before);
    gate = undefined;
    open();
    await rt.settle();
    expect(rt.result<{ ids: string[] }>(id).ids).toEqual(before);
    expect(before.filter((calleeId) => invocationOwner(calleeId) === "o:caller:fc")).toHaveLength(1);
  });

  it("issue 14: a call made after a replay sees the callee beside its caller still in flight from before it", async () => {
    const rt = runtime(services, alwaysReplay);
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const id = await rt.invoke("caller", "callSleepCall", undefined, { key: "cs" });
    await rt.crash();
    await rt.advance(1_000);
    gate = undefined;
    open();
    await rt.settle();
    const [first, second] = rt.result<string[]>(id);
    expect(invocationOwner(first!)).toBe("o:caller:cs");
    expect(invocationOwner(second!)).toMatch(/^s:work:\d+$/);
  });
});
