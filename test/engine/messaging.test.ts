import { describe, expect, it } from "vitest";
import type { Context, ObjectContext, WorkflowContext, WorkflowSharedContext } from "../../sdk/context.js";
import { rpc } from "../../sdk/client-types.js";
import { object, service, workflow } from "../../sdk/define.js";
import { CancelledError, TerminalError } from "../../sdk/errors.js";
import { lines, MODES, runtime, shape } from "./support.js";

const log: string[] = [];
let published: string[] = [];

const account = object({
  name: "account",
  handlers: {
    deposit: async (ctx: ObjectContext, amount: number) => {
      const balance = ((await ctx.get<number>("balance")) ?? 0) + amount;
      ctx.set("balance", balance);
      await ctx.sleep(100);
      const now = await ctx.date.now();
      await ctx.run("log", () => void log.push(`deposit ${amount} at ${now}`));
      return balance;
    },
    fail: async () => {
      throw new TerminalError("frozen", { errorCode: 423 });
    },
  },
});

const bank = service({
  name: "bank",
  handlers: {
    transfer: async (ctx: Context, amount: number) => {
      const balance = await ctx.objectClient(account, "alice").deposit(amount);
      ctx.objectSendClient(account, "bob").deposit(amount, rpc.sendOpts({ delay: 5_000 }));
      const refused = await ctx.objectClient(account, "carol").fail().catch((e: TerminalError) => `${e.code} ${e.message}`);
      return { balance, refused };
    },
    waitFor: async (ctx: Context) => {
      const signal = ctx.awakeable<{ ok: boolean }>();
      await ctx.run("publish", () => void published.push(signal.id));
      return signal.promise;
    },
    signal: async (ctx: Context, id: string) => {
      ctx.resolveAwakeable(id, { ok: true });
      return "sent";
    },
    refuse: async (ctx: Context, id: string) => ctx.rejectAwakeable(id, "no way"),
    slow: async (ctx: Context, ms: number) => {
      await ctx.sleep(ms);
      return `slept ${ms}`;
    },
    sendThenAttach: async (ctx: Context) => {
      const id = await ctx.serviceSendClient(bank).slow(100).invocationId;
      return ctx.invocation(id).attach<string>();
    },
    /** Restate's older names: ctx.attach(id) and ctx.cancel(id). */
    attachThenCancel: async (ctx: Context) => {
      const first = await ctx.serviceSendClient(bank).slow(100).invocationId;
      const second = await ctx.serviceSendClient(bank).slow(5_000).invocationId;
      ctx.cancel(second);
      const cancelled = await ctx.attach<string>(second).catch((e: Error) => `${e.name} ${e instanceof CancelledError}`);
      return `${await ctx.attach<string>(first)} / ${cancelled}`;
    },
    callSlow: async (ctx: Context) => {
      try {
        return await ctx.serviceClient(bank).slow(1_000);
      } catch (e) {
        return `${(e as Error).name} ${e instanceof CancelledError}`;
      }
    },
  },
});

const signup = workflow({
  name: "signup",
  handlers: {
    run: async (ctx: WorkflowContext, email: string) => {
      ctx.set("status", "waiting");
      const secret = await ctx.promise<string>("clicked");
      ctx.set("status", "verified");
      return `${email} verified with ${secret}`;
    },
    click: async (ctx: WorkflowSharedContext, secret: string) => {
      await ctx.promise<string>("clicked").resolve(secret);
      return "clicked";
    },
    status: async (ctx: WorkflowSharedContext) => ({ status: await ctx.get("status"), peek: (await ctx.promise<string>("clicked").peek()) ?? null }),
  },
});

describe.each(MODES)("calls, sends, awakeables and promises ($mode)", ({ alwaysReplay }) => {
  const rt = () => runtime([account, bank, signup], alwaysReplay);

  it("a call returns the callee's result; a send starts after its delay", async () => {
    log.length = 0;
    const r = rt();
    const id = await r.invoke("bank", "transfer", 30);
    expect(r.info(id).status).toBe("running");
    await r.advance(100);
    expect(r.result(id)).toEqual({ balance: 30, refused: "423 frozen" });
    const journal = lines(r.journal(id));
    expect(shape(r.journal(id))).toEqual(["call(account/alice/deposit)", "send(account/bob/deposit)", "call(account/carol/fail)"]);
    expect(journal[0]).toMatchObject({ done: true, value: "30" });
    expect(journal[2]).toMatchObject({ done: true, failure: "TerminalError(423): frozen" });

    expect(r.getState("account", "bob", "balance")).toBeNull();
    expect(r.invocations().find((i) => i.target.key === "bob")).toMatchObject({ status: "scheduled", nextAttemptAt: 5_100 });
    await r.advance(4_999); // t = 5099: the send was made at t = 100 with a 5 s delay
    expect(r.getState("account", "bob", "balance")).toBeNull();
    await r.advance(1);
    expect(r.getState("account", "bob", "balance")).toBe(30);
    await r.advance(100);
    expect(log).toEqual(["deposit 30 at 100", "deposit 30 at 5200"]);
    expect(r.invocations().every((i) => i.status === "completed")).toBe(true);
  });

  it("delivers a call exactly once across crashes of the caller", async () => {
    log.length = 0;
    const r = rt();
    r.crashWhen((_, entry) => entry.type === "call");
    const id = await r.invoke("bank", "transfer", 5);
    await r.crash(id);
    await r.advance(5_100);
    expect(r.result(id)).toEqual({ balance: 5, refused: "423 frozen" });
    expect(r.getState("account", "alice", "balance")).toBe(5);
    expect(r.invocations().filter((i) => i.target.handler === "deposit")).toHaveLength(2);
  });

  it("runs exclusive handlers of one key one at a time, in arrival order", async () => {
    log.length = 0;
    const r = rt();
    const first = await r.invoke("account", "deposit", 1, { key: "k" });
    const second = await r.invoke("account", "deposit", 2, { key: "k" });
    const other = await r.invoke("account", "deposit", 7, { key: "other" });
    expect(r.info(second).status).toBe("pending");
    expect(r.info(other).status).toBe("running");
    await r.advance(100);
    expect(r.result(first)).toBe(1);
    expect(r.info(second).status).toBe("running");
    await r.advance(100);
    expect(r.result(second)).toBe(3);
    expect(log).toEqual(["deposit 1 at 100", "deposit 7 at 100", "deposit 2 at 200"]);
  });

  it("an awakeable resolved from outside resumes the handler", async () => {
    published = [];
    const r = rt();
    const id = await r.invoke("bank", "waitFor");
    expect(published).toHaveLength(1);
    await r.resolveAwakeable(published[0]!, { ok: true });
    expect(r.result(id)).toEqual({ ok: true });
  });

  it("awakeables resolved or rejected by another handler", async () => {
    published = [];
    const r = rt();
    const resolved = await r.invoke("bank", "waitFor");
    const rejected = await r.invoke("bank", "waitFor");
    expect(await r.call("bank", "signal", published[0])).toBe("sent");
    await r.call("bank", "refuse", published[1]);
    expect(r.result(resolved)).toEqual({ ok: true });
    expect(() => r.result(rejected)).toThrow("no way");
  });

  it("a workflow promise resolved by a shared handler", async () => {
    const r = rt();
    const id = await r.invoke("signup", "run", "ada@example.com", { key: "ada" });
    expect(await r.call("signup", "status", undefined, { key: "ada" })).toEqual({ status: "waiting", peek: null });
    expect(await r.call("signup", "click", "s3cret", { key: "ada" })).toBe("clicked");
    expect(r.result(id)).toBe("ada@example.com verified with s3cret");
    expect(await r.call("signup", "status", undefined, { key: "ada" })).toEqual({ status: "verified", peek: "s3cret" });
    await expect(r.call("signup", "click", "again", { key: "ada" })).rejects.toThrow("Promise 'clicked' was already completed");
    await expect(r.invoke("signup", "run", "ada@example.com", { key: "ada" })).rejects.toThrow("already invoked");
  });

  it("a workflow that reaches a promise resolved earlier does not wait", async () => {
    const r = rt();
    await r.call("signup", "click", "early", { key: "bo" });
    expect(await r.call("signup", "run", "bo@example.com", { key: "bo" })).toBe("bo@example.com verified with early");
  });

  it("the same idempotency key yields the same invocation", async () => {
    log.length = 0;
    const r = rt();
    const a = await r.invoke("account", "deposit", 10, { key: "k", idempotencyKey: "once" });
    const b = await r.invoke("account", "deposit", 10, { key: "k", idempotencyKey: "once" });
    expect(b).toBe(a);
    await r.advance(100);
    expect(r.getState("account", "k", "balance")).toBe(10);
  });

  it("attach waits for another invocation's result", async () => {
    const r = rt();
    const id = await r.invoke("bank", "sendThenAttach");
    await r.advance(99);
    expect(r.info(id).status).toBe("running");
    await r.advance(1);
    expect(r.result(id)).toBe("slept 100");
  });

  it("ctx.attach(id) and ctx.cancel(id) act as ctx.invocation(id).attach() and .cancel()", async () => {
    const r = rt();
    const id = await r.invoke("bank", "attachThenCancel");
    await r.advance(100);
    expect(r.result(id)).toBe("slept 100 / CancelledError true");
  });

  it("cancelling a caller cancels its callee, and the caller can catch it", async () => {
    const r = rt();
    const id = await r.invoke("bank", "callSlow");
    await r.cancel(id);
    expect(r.result(id)).toBe("CancelledError true");
    const callee = r.invocations().find((i) => i.target.handler === "slow")!;
    expect(callee.completion).toMatchObject({ failure: { name: "CancelledError", code: 409 } });
  });

  it("cancel makes the waiting operation throw CancelledError", async () => {
    const r = rt();
    const id = await r.invoke("account", "deposit", 1, { key: "k" });
    await r.cancel(id);
    expect(() => r.result(id)).toThrow(CancelledError);
    expect(r.info(id).completion).toMatchObject({ failure: { code: 409 } });
  });
});
