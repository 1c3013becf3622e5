/**
 * The lifecycle contract (issue #11): every rule of an invocation's life, as one
 * case each, run against every store — the memory store in Node
 * (memory-store.test.ts) and the Durable Object's SQLite store on workerd
 * (sqlite-store.test.ts, through fixtures/contract-worker.ts). A case drives the
 * Lifecycle with events and checks the rows, answers and deliveries it leaves.
 */
import { handlers, object, service, workflow } from "../../sdk/define.js";
import type { Context, ObjectContext, ObjectSharedContext, WorkflowContext } from "../../sdk/context.js";
import { PauseError, TerminalError } from "../../sdk/errors.js";
import type { Definition } from "../../sdk/define.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import type { LifecycleStore } from "../../src/engine/lifecycle-store.js";
import { Harness, OWNER, expectEqual, expectTrue } from "./harness.js";

const decode = (bytes: Uint8Array | null | undefined): unknown => JSON.parse(new TextDecoder().decode(bytes ?? new Uint8Array(0)) || "null");

/** The handlers every case may call; each records what it does in `h.events`. */
function services(h: Harness): Definition[] {
  const retry = { initialInterval: 100, exponentiationFactor: 2, maxAttempts: 3 };
  let flaky = 0;
  let reviews = 0;
  let sleepy = 0;
  return [
    object({
      name: "account",
      handlers: {
        /** Exclusive: waits at the gate named by its input inside a run, holding the lock. */
        hold: async (ctx: ObjectContext, gate: string) => {
          h.events.push(`start ${gate}`);
          const value = await ctx.run("wait", () => h.gate(gate).promise);
          h.events.push(`end ${gate}`);
          return value;
        },
        /** Exclusive: two steps, each counted; the second waits at the gate named by its input. */
        twoSteps: async (ctx: ObjectContext, gate: string) => {
          await ctx.run("one", () => void h.events.push("one"));
          return ctx.run("two", async () => (h.events.push("two"), h.gate(gate).promise));
        },
        /** Fails its first two attempts (retryable), then returns the number of attempts. */
        flaky: handlers.object.exclusive({ retryPolicy: { ...retry, maxAttempts: 5 } }, async () => {
          if (++flaky < 3) throw new Error(`flaky ${flaky}`);
          return flaky;
        }),
        alwaysFailsThenPause: handlers.object.exclusive({ retryPolicy: { ...retry, onMaxAttempts: "pause" } }, async () => {
          throw new Error("down");
        }),
        alwaysFailsThenKill: handlers.object.exclusive({ retryPolicy: { ...retry, onMaxAttempts: "kill" } }, async () => {
          throw new Error("down");
        }),
        /** A run that throws PauseError while its attempt's gate (approve-1, approve-2...) fails. */
        review: async (ctx: ObjectContext) =>
          ctx.run("review", async () => {
            h.events.push("review");
            return h.gate(`approve-${++reviews}`).promise.catch(() => Promise.reject(new PauseError("needs a human")));
          }),
        /** Sleeps; on cancellation compensates and rethrows. */
        nap: async (ctx: ObjectContext) => {
          try {
            await ctx.sleep(60_000);
            return "rested";
          } catch (e) {
            h.events.push(`compensate ${(e as Error).name}`);
            throw e;
          }
        },
        /** Fails its first attempt before awaiting anything; then naps as `nap` does. */
        sleepy: async (ctx: ObjectContext) => {
          if (++sleepy === 1) throw new Error("not yet");
          try {
            return await ctx.sleep(60_000);
          } catch (e) {
            h.events.push(`compensate ${(e as Error).name}`);
            throw e;
          }
        },
        get: handlers.object.shared(async (ctx: ObjectSharedContext) => (h.events.push("shared"), (await ctx.get<number>("n")) ?? 0)),
        /** `hold` with a concurrency limit of 1 (issue 15): it waits for a slot, holding the key's lock. */
        limitedHold: handlers.object.exclusive({ concurrency: { limit: 1 } }, async (ctx: ObjectContext, gate: string) => {
          h.events.push(`start ${gate}`);
          return ctx.run("wait", () => h.gate(gate).promise);
        }),
        fail: async () => {
          throw new TerminalError("no", { errorCode: 418 });
        },
      },
    }),
    workflow({
      name: "wf",
      handlers: {
        run: async (ctx: WorkflowContext) => {
          ctx.set("started", true);
          h.events.push("run");
          return ctx.promise<string>("go");
        },
        signal: async (ctx: WorkflowContext, value: string) => ctx.promise<string>("go").resolve(value),
        peek: async (ctx: WorkflowContext) => (h.events.push("peek"), ctx.get<boolean>("started")),
      },
    }),
    service({
      name: "svc",
      handlers: {
        echo: async (_ctx: Context, value: unknown) => (h.events.push(`echo ${JSON.stringify(value)}`), value),
        /** At most 2 at once (issue 15); waits at the gate named by its input. */
        limited: handlers.handler({ concurrency: { limit: 2 } }, async (ctx: Context, gate: string) => {
          h.events.push(`start ${gate}`);
          return ctx.run("wait", () => h.gate(gate).promise);
        }),
      },
    }),
  ];
}

export type LifecycleCase = (h: Harness) => Promise<void>;

export const CASES: Record<string, LifecycleCase> = {
  "admit: a new id runs once; the same id again is the same invocation": async (h) => {
    const first = h.admit("svc", "echo", "a1", {}, 5);
    const again = h.admit("svc", "echo", "a1", {}, 6);
    await h.settle();
    expectEqual([first.fresh, again.fresh], [true, false], "fresh");
    expectEqual(h.events, ["echo 5"], "executions");
    const row = h.row(first.row.id);
    expectEqual([row.status, decode((row.completion as { value: Uint8Array }).value)], ["completed", 5], "result");
  },

  "admit: an unknown handler completes at once with 404": async (h) => {
    const { row } = h.admit("svc", "nope", "a2");
    expectEqual([row.status, row.completion && "failure" in row.completion && row.completion.failure.code], ["completed", 404], "row");
  },

  "lock: exclusive invocations of a key run one at a time, in arrival order": async (h) => {
    const ids = ["g1", "g2", "g3"].map((g) => h.admit("account", "hold", `l-${g}`, {}, g).row.id);
    await h.settle();
    expectEqual(ids.map((i) => h.row(i).status), ["running", "pending", "pending"], "queued");
    expectEqual(h.lifecycle.lockHolder, ids[0], "holder");
    h.gate("g2").open(); // the second's gate opens first: it must still wait its turn
    h.gate("g1").open();
    await h.settle();
    h.gate("g3").open();
    await h.settle();
    expectEqual(h.events, ["start g1", "end g1", "start g2", "end g2", "start g3", "end g3"], "order");
    expectEqual(h.lifecycle.lockHolder, null, "released");
  },

  "lock: shared handlers run beside the exclusive holder": async (h) => {
    const holder = h.admit("account", "hold", "s1", {}, "s").row.id;
    const shared = h.admit("account", "get", "s2").row.id;
    await h.settle();
    expectEqual([h.row(holder).status, h.row(shared).status], ["running", "completed"], "statuses");
    h.gate("s").open();
    await h.settle();
  },

  "scheduled: a delayed invocation starts at its time, queueing if the key is locked then": async (h) => {
    const holder = h.admit("account", "hold", "d1", {}, "d").row.id;
    const delayed = h.admit("account", "hold", "d2", { delayMs: 5_000 }, "d2").row;
    expectEqual([delayed.status, delayed.nextAt], ["scheduled", h.clock.now() + 5_000], "scheduled");
    expectTrue(h.wakeUps.includes(h.clock.now() + 5_000), "a wake-up by the start time");
    await h.advance(4_999);
    expectEqual(h.row(delayed.id).status, "scheduled", "not yet");
    await h.advance(1);
    expectEqual(h.row(delayed.id).status, "pending", "due while locked: queued");
    h.gate("d").open();
    h.gate("d2").open();
    await h.settle();
    expectEqual([h.row(holder).status, h.row(delayed.id).status], ["completed", "completed"], "both ran");
  },

  "retry: a failed attempt backs off by the policy, then runs again": async (h) => {
    const { row } = h.admit("account", "flaky", "r1");
    await h.settle();
    const start = h.clock.now();
    expectEqual([h.row(row.id).status, h.row(row.id).attempts, h.row(row.id).nextAt], ["backing-off", 1, start + 100], "first failure");
    expectEqual(h.row(row.id).lastFailure?.message, "flaky 1", "last failure");
    expectEqual(h.lifecycle.lockHolder, row.id, "a backing-off invocation keeps the lock");
    await h.advance(100);
    expectEqual([h.row(row.id).attempts, h.row(row.id).nextAt], [2, start + 100 + 200], "second failure: the interval doubled");
    await h.advance(200);
    expectEqual([h.row(row.id).status, decode((h.row(row.id).completion as { value: Uint8Array }).value)], ["completed", 3], "third attempt");
  },

  "max attempts: pause parks the invocation, kill completes it with the failure": async (h) => {
    const paused = h.admit("account", "alwaysFailsThenPause", "m1").row.id;
    await h.settle();
    await h.advance(100);
    await h.advance(200);
    expectEqual([h.row(paused).status, h.row(paused).attempts], ["paused", 3], "paused after 3");
    await h.advance(10_000_000);
    expectEqual(h.row(paused).status, "paused", "stays paused");
    h.lifecycle.kill(paused);
    const killed = h.admit("account", "alwaysFailsThenKill", "m2").row.id;
    await h.settle();
    await h.advance(100);
    await h.advance(200);
    const row = h.row(killed);
    expectEqual([row.status, row.completion && "failure" in row.completion && row.completion.failure.message], ["completed", "down (gave up after 3 attempts)"], "killed");
  },

  "PauseError: a run that throws it pauses the invocation at once; resume runs the step again": async (h) => {
    h.gate("approve-1").fail(new Error("not yet"));
    const { row } = h.admit("account", "review", "p1");
    await h.settle();
    expectEqual([h.row(row.id).status, h.row(row.id).attempts, h.row(row.id).lastFailure?.name], ["paused", 1, "PauseError"], "paused at once");
    await h.advance(10_000_000);
    expectEqual(h.row(row.id).status, "paused", "no retry");
    h.gate("approve-2").open("approved");
    expectEqual(h.lifecycle.resume(row.id).ok, true, "resumed");
    await h.settle();
    expectEqual([h.row(row.id).status, decode((h.row(row.id).completion as { value: Uint8Array }).value)], ["completed", "approved"], "done");
    expectEqual(h.events, ["review", "review"], "the step ran again after the resume");
  },

  "cancel: a pending or scheduled invocation completes as cancelled (409) and leaves the queue": async (h) => {
    const holder = h.admit("account", "hold", "c1", {}, "c").row.id;
    const pending = h.admit("account", "hold", "c2", {}, "never").row.id;
    const scheduled = h.admit("svc", "echo", "c3", { delayMs: 1_000 }).row.id;
    expectEqual([h.lifecycle.cancel(pending).ok, h.lifecycle.cancel(scheduled).ok], [true, true], "accepted");
    for (const cancelled of [pending, scheduled]) {
      const row = h.row(cancelled);
      expectEqual([row.status, row.completion && "failure" in row.completion && row.completion.failure.code], ["completed", 409], `${cancelled} cancelled`);
    }
    h.gate("c").open();
    await h.settle();
    await h.advance(1_000);
    expectEqual([h.row(holder).status, h.lifecycle.lockHolder], ["completed", null], "the lock is free");
    expectEqual(h.events, ["start c", "end c"], "neither ran");
  },

  "cancel: a running invocation's await fails with CancelledError; it compensates and completes cancelled": async (h) => {
    const { row } = h.admit("account", "nap", "c4");
    await h.settle();
    expectEqual(h.lifecycle.cancel(row.id).ok, true, "accepted");
    await h.settle();
    const done = h.row(row.id);
    expectEqual([done.status, done.completion && "failure" in done.completion && done.completion.failure.name], ["completed", "CancelledError"], "cancelled");
    expectEqual(h.events, ["compensate CancelledError"], "compensation ran");
  },

  "killmore: a cancel answered while a ctx.run executes ends the invocation cancelled at that run's await (before: ignored, it ran on and completed)": async (h) => {
    const { row } = h.admit("account", "twoSteps", "c4r", {}, "g-c4r");
    await h.settle();
    expectEqual(h.events, ["one", "two"], "inside its second run, nothing else awaited");
    expectEqual(h.lifecycle.cancel(row.id).ok, true, "accepted");
    h.gate("g-c4r").open("late");
    await h.settle();
    const done = h.row(row.id);
    expectEqual([done.status, done.completion && "failure" in done.completion && done.completion.failure.name], ["completed", "CancelledError"], "cancelled");
  },

  "cancel: a backing-off or paused invocation runs at once to meet its cancellation": async (h) => {
    const cancelledName = (id: string): unknown => {
      const { completion } = h.row(id);
      return completion && "failure" in completion ? completion.failure.name : completion;
    };
    const backingOff = h.admit("account", "sleepy", "c5").row.id;
    await h.settle();
    expectEqual(h.row(backingOff).status, "backing-off", "backing off");
    h.lifecycle.cancel(backingOff);
    await h.settle();
    expectEqual(cancelledName(backingOff), "CancelledError", "ran without waiting for its back-off; its first await failed");
    const paused = h.admit("account", "nap", "c6").row.id;
    await h.settle();
    h.lifecycle.pause(paused);
    expectEqual(h.row(paused).status, "paused", "paused");
    h.lifecycle.cancel(paused);
    await h.settle();
    expectEqual(cancelledName(paused), "CancelledError", "a paused one meets it");
    expectEqual(h.events, ["compensate CancelledError", "compensate CancelledError"], "both compensated");
  },

  "cancel and kill: a completed or unknown invocation is refused (409, 404)": async (h) => {
    const done = h.admit("svc", "echo", "c7").row.id;
    await h.settle();
    expectEqual([h.lifecycle.cancel(done), h.lifecycle.kill(done)].map((r) => !r.ok && r.code), [409, 409], "completed");
    expectEqual(h.lifecycle.kill(makeInvocationId(OWNER, "nobody")).ok || "refused", "refused", "unknown");
  },

  "kill: completes at once with 409 killed and hands the lock to the next": async (h) => {
    const first = h.admit("account", "hold", "k1", {}, "k").row.id;
    const second = h.admit("account", "hold", "k2", {}, "k2").row.id;
    await h.settle();
    expectEqual(h.lifecycle.kill(first).ok, true, "killed");
    const row = h.row(first);
    expectEqual([row.status, row.completion && "failure" in row.completion && row.completion.failure.message], ["completed", "killed"], "row");
    await h.settle();
    expectEqual([h.lifecycle.lockHolder, h.row(second).status], [second, "running"], "the next holds the lock");
    h.gate("k").open(); // the killed attempt's run finishing later changes nothing
    h.gate("k2").open();
    await h.settle();
    expectEqual(h.events, ["start k", "start k2", "end k2"], "the killed one never ended");
  },

  "resume: only a paused or backing-off invocation; pending, running, scheduled and completed are refused": async (h) => {
    const running = h.admit("account", "hold", "u1", {}, "u").row.id;
    const pending = h.admit("account", "hold", "u2", {}, "u2").row.id;
    const scheduled = h.admit("svc", "echo", "u3", { delayMs: 1_000 }).row.id;
    await h.settle();
    for (const [which, invocation] of [["pending", pending], ["running", running], ["scheduled", scheduled]] as const) {
      const result = h.lifecycle.resume(invocation);
      expectTrue(!result.ok && result.code === 409 && result.message.includes(which), `${which}: ${JSON.stringify(result)}`);
    }
    expectEqual([h.row(running).status, h.row(pending).status, h.row(scheduled).status], ["running", "pending", "scheduled"], "unchanged");
    expectEqual(h.events, ["start u"], "nothing started twice or early");
    h.gate("u").open();
    h.gate("u2").open();
    await h.settle();
    const completed = h.lifecycle.resume(running);
    expectTrue(!completed.ok && completed.code === 409, "completed refused");
  },

  "resume: a paused invocation continues from its journal; a backing-off one skips its back-off": async (h) => {
    const { row } = h.admit("account", "twoSteps", "v1", {}, "v");
    await h.settle();
    expectEqual(h.lifecycle.pause(row.id).ok, true, "paused");
    expectEqual([h.row(row.id).status, h.lifecycle.isLive(row.id)], ["paused", false], "parked");
    expectEqual(h.lifecycle.resume(row.id).ok, true, "resumed");
    h.gate("v").open();
    await h.settle();
    expectEqual(h.row(row.id).status, "completed", "done");
    expectEqual(h.events, ["one", "two", "two"], "step one replayed, step two (in flight when paused) ran again");
    const flaky = h.admit("account", "flaky", "v2").row.id;
    await h.settle();
    expectEqual(h.row(flaky).status, "backing-off", "backing off");
    h.lifecycle.resume(flaky);
    await h.settle();
    expectEqual([h.row(flaky).attempts, h.row(flaky).status], [2, "backing-off"], "ran before its back-off ended");
  },

  "purge: only a completed invocation; its id may then run again": async (h) => {
    const held = h.admit("account", "hold", "x1", {}, "x").row.id;
    await h.settle();
    const early = h.lifecycle.purge(held);
    expectTrue(!early.ok && early.code === 409, "not completed: refused");
    h.gate("x").open();
    await h.settle();
    expectEqual(h.lifecycle.purge(held).ok, true, "purged");
    expectEqual(h.store.invocation(held), undefined, "gone");
    expectEqual(h.store.journal(held), [], "journal gone");
    const again = h.admit("account", "hold", "x1", {}, "x");
    expectEqual(again.fresh, true, "the id runs again");
    await h.settle();
  },

  "retention: a completed invocation is forgotten when its retention ends; a workflow's data with its run": async (h) => {
    const run = h.admit("wf", "run", "run").row.id;
    await h.settle();
    h.admit("wf", "signal", "sig", {}, "go!");
    await h.settle();
    const done = h.row(run);
    expectEqual([done.status, done.expiresAt], ["completed", h.clock.now() + 86_400_000], "kept for a day");
    expectTrue(h.wakeUps.includes(done.expiresAt!), "a wake-up for its end");
    await h.advance(86_400_000 - 1);
    expectEqual(h.store.invocation(run)?.status, "completed", "still kept");
    await h.advance(1);
    expectEqual(h.store.invocation(run), undefined, "forgotten");
    expectEqual([h.store.readState("k", "started"), h.store.promise("k", "go")], [null, undefined], "the workflow's state and promises too");
  },

  "restart-as-new: a completed invocation runs again under a new id, replaying its first `from` entries": async (h) => {
    const { row } = h.admit("account", "twoSteps", "n1", {}, "n");
    h.gate("n").open();
    await h.settle();
    const newId = makeInvocationId(OWNER, "n2");
    const restarted = h.lifecycle.restartAsNew(row.id, newId, OWNER, 1);
    expectEqual(restarted, { ok: true, invocationId: newId }, "restarted");
    await h.settle();
    expectEqual([h.row(newId).status, h.row(newId).invokedBy], ["completed", "restart-as-new"], "ran");
    expectEqual(h.events, ["one", "two", "two"], "step one copied, not run again");
    const tooFar = h.lifecycle.restartAsNew(row.id, makeInvocationId(OWNER, "n3"), OWNER, 9);
    expectTrue(!tooFar.ok && tooFar.code === 400, "from beyond the journal");
    const running = h.admit("account", "hold", "n4", {}, "n4").row.id;
    const notDone = h.lifecycle.restartAsNew(running, makeInvocationId(OWNER, "n5"), OWNER, 0);
    expectTrue(!notDone.ok && notDone.code === 409, "not completed");
    h.gate("n4").open();
    await h.settle();
  },

  "workflow: its run is at most once per id, refused again without an idempotency key, and takes no lock": async (h) => {
    const first = h.admit("wf", "run", "run");
    await h.settle();
    const again = h.admit("wf", "run", "run");
    expectEqual([again.fresh, again.refused?.code], [false, 409], "a repeat is refused");
    const keyed = h.admit("wf", "run", "run", { idempotencyKey: "k" });
    expectEqual([keyed.fresh, keyed.refused], [false, undefined], "with an idempotency key it latches on");
    h.admit("wf", "peek", "p");
    await h.settle();
    expectEqual(h.lifecycle.lockHolder, null, "no lock");
    expectEqual(h.events, ["run", "peek"], "shared handlers run beside the run; the run ran once");
    h.admit("wf", "signal", "s", {}, "go");
    await h.settle();
    expectEqual(h.row(first.row.id).status, "completed", "done");
  },

  "subscribers: a caller waiting for a result is answered once, on completion; a late or unknown one at once": async (h) => {
    const caller = { owner: "o:caller:c", invocationId: makeInvocationId("o:caller:c", "c"), index: 3 };
    const { row } = h.admit("account", "hold", "b1", { replyTo: caller }, "b");
    const latecomer = { ...caller, index: 4 };
    h.lifecycle.subscribe(row.id, latecomer);
    h.lifecycle.subscribe(row.id, latecomer);
    await h.settle();
    expectEqual(h.deliveries, [], "nobody answered yet");
    h.gate("b").open();
    await h.settle();
    const answers = h.deliveries.map(({ delivery }) => delivery.kind === "complete" && [delivery.index, delivery.calleeId, decode("value" in delivery.completion ? delivery.completion.value : null)]);
    expectEqual(answers.sort(), [[3, row.id, "b"], [4, row.id, "b"]], "each answered once");
    h.lifecycle.subscribe(row.id, { ...caller, index: 5 });
    h.lifecycle.subscribe(makeInvocationId(OWNER, "ghost"), { ...caller, index: 6 });
    const late = h.deliveries.slice(2).map(({ delivery }) => delivery.kind === "complete" && [delivery.index, "failure" in delivery.completion ? delivery.completion.failure.code : "ok"]);
    expectEqual(late, [[5, "ok"], [6, 404]], "answered at once");
    expectEqual((await h.lifecycle.lookup(row.id, false)).state, "done", "its output");
  },

  "completions: an entry is completed only by its own source, once; a due timer resumes the sleeper": async (h) => {
    const { row } = h.admit("account", "nap", "t1");
    await h.settle();
    const forged = h.lifecycle.complete(row.id, 0, { value: null }, { kind: "result", calleeId: makeInvocationId(OWNER, "other") });
    expectEqual(forged, "refused", "a call's result cannot complete a sleep");
    expectEqual(h.lifecycle.complete(row.id, 9, { value: null }, { kind: "timer" }), "refused", "no such entry");
    await h.advance(59_999);
    expectEqual(h.row(row.id).status, "running", "still asleep");
    await h.advance(1);
    expectEqual([h.row(row.id).status, decode((h.row(row.id).completion as { value: Uint8Array }).value)], ["completed", "rested"], "woken by its timer");
    expectEqual(h.lifecycle.complete(row.id, 0, { value: null }, { kind: "timer" }), "duplicate", "a second completion changes nothing");
  },

  "recovery: an invocation left running without an attempt (a restart) replays its journal": async (h) => {
    const { row } = h.admit("account", "twoSteps", "y1", {}, "y");
    await h.settle();
    h.lifecycle.evict();
    expectEqual([h.row(row.id).status, h.lifecycle.isLive(row.id)], ["running", false], "orphaned");
    expectEqual(h.lifecycle.recoverOrphans(), 1, "one replayed");
    h.gate("y").open();
    await h.settle();
    expectEqual(h.row(row.id).status, "completed", "done");
    expectEqual(h.events, ["one", "two", "two"], "step one replayed from the journal");
  },

  "limits: a limited invocation takes its key's lock, then asks for a slot (ready); its grant starts it; its end releases the slot": async (h) => {
    const first = h.admit("account", "limitedHold", "lim-1", {}, "a").row.id;
    const second = h.admit("account", "limitedHold", "lim-2", {}, "b").row.id;
    await h.settle();
    expectEqual([h.row(first).status, h.row(second).status, h.lifecycle.lockHolder], ["ready", "pending", first], "the first waits for its slot holding the lock");
    const ask = limitMessages(h).find((m) => m.kind === "acquire" && m.invocationId === first)!;
    expectEqual([ask.owner, ask.scope, ask.key, ask.declared], ["limiter:account/limitedHold:", "account/limitedHold", "", { concurrency: 1 }], "asked its handler's limiter");
    h.lifecycle.granted({ invocationId: first, round: ask.round, limiter: ask.owner });
    h.lifecycle.granted({ invocationId: first, round: ask.round, limiter: ask.owner }); // the same grant again
    await h.settle();
    expectEqual([h.row(first).status, h.events], ["running", ["start a"]], "started once");
    h.gate("a").open();
    await h.settle();
    const released = limitMessages(h).filter((m) => m.kind === "release" && m.invocationId === first);
    expectEqual(released.map((m) => [m.owner, m.round]), [[ask.owner, ask.round]], "released once, where it asked");
    expectEqual([h.row(second).status, h.lifecycle.lockHolder], ["ready", second], "the lock passed on: the next asks for its slot");
  },

  "limits: cancel or kill of a ready invocation releases its place; a grant matching no ask is given back; a pause gives the slot back, a resume asks again": async (h) => {
    const cancelled = h.admit("svc", "limited", "lim-c", {}, "c").row.id;
    const paused = h.admit("svc", "limited", "lim-p", {}, "p").row.id;
    await h.settle();
    const asks = () => limitMessages(h).filter((m) => m.kind === "acquire");
    const roundOf = (id: string) => asks().filter((m) => m.invocationId === id).at(-1)!.round;
    const releases = (id: string) => limitMessages(h).filter((m) => m.kind === "release" && m.invocationId === id).map((m) => m.round);
    expectEqual(h.lifecycle.cancel(cancelled).ok, true, "cancelled while ready");
    expectEqual(h.row(cancelled).status, "completed", "ended at once");
    h.lifecycle.granted({ invocationId: cancelled, round: roundOf(cancelled), limiter: "limiter:svc/limited:" }); // its grant was in flight
    expectEqual(releases(cancelled), [roundOf(cancelled), roundOf(cancelled)], "released when cancelled, and the late grant given back (the limiter deduplicates)");
    const firstRound = roundOf(paused);
    h.lifecycle.granted({ invocationId: paused, round: firstRound, limiter: "limiter:svc/limited:" });
    await h.settle();
    expectEqual(h.lifecycle.pause(paused).ok, true, "paused while running");
    expectEqual([h.row(paused).status, releases(paused)], ["paused", [firstRound]], "a paused invocation gives its slot back");
    h.clock.advance(5);
    expectEqual(h.lifecycle.resume(paused).ok, true, "resumed");
    expectEqual(h.row(paused).status, "ready", "a resumed one waits for a slot again");
    expectTrue(roundOf(paused) > firstRound, "with a new round");
    expectEqual(h.lifecycle.resume(paused).ok, false, "a ready invocation cannot be resumed: it waits for its slot");
    expectEqual(h.lifecycle.kill(paused).ok, true, "killed while ready");
    expectEqual(releases(paused), [firstRound, roundOf(paused)], "its new place released");
  },
};

/** Runs one case against a fresh store; resolves when it passed. */
export async function runCase(name: string, store: LifecycleStore): Promise<void> {
  const run = CASES[name];
  if (!run) throw new Error(`no lifecycle case '${name}'`);
  await run(new Harness(store, services));
}

/** The limit messages the lifecycle sent (acquire, release), newest last. */
function limitMessages(h: Harness): { kind: string; owner: string; invocationId: string; round: number; scope?: string; key?: string; declared?: unknown }[] {
  return h.deliveries.map((d) => d.delivery).filter((d) => d.kind === "acquire" || d.kind === "release") as never;
}
