/**
 * The targeted chaos fixture (`node --import tsx test/chaos/targeted.ts`): handlers shaped so
 * a SIGKILL can be aimed at one moment each — a hot key's group commit, a chain's callee
 * inside its answer window, sleeps and delayed sends due while the runtime is down, a
 * workflow promise and an awakeable being completed. Steps POST their effect id to the
 * runner's recorder (RECORDER_URL) with this process's boot id, as test/chaos/worker.ts does.
 */
import { createWorker, type ResoluteEnv } from "../../../src/index.js";
import { handlers, object, service, workflow } from "../../../sdk/define.js";
import type { Context, ObjectContext, ObjectSharedContext, WorkflowContext, WorkflowSharedContext } from "../../../sdk/context.js";
import { BOOT_HEADER, EFFECT_PATH, GROUP_HEADER, HOLD_HEADER } from "../protocol.js";
import { KEEPER_RETENTION_MS, LIMITED_AT_ONCE, LIMITED_ONE_AT_ONCE, TARGETED, TARGETED_SHARDS, type FanInput, type HotInput, type HotState, type StepInput, type StepsInput } from "../targeted-protocol.js";

interface Env extends ResoluteEnv {
  RECORDER_URL: string;
}

let bootId: string | undefined;

function boot(): string {
  return (bootId ??= crypto.randomUUID());
}

/** One POST to the recorder per execution; `holdMs` keeps it open that long (the runner aims its kill inside). */
async function record(ctx: Context, effect: string, holdMs = 0, group = "targeted"): Promise<string> {
  const { RECORDER_URL } = ctx.request().extraArgs[0] as Env;
  const held: Record<string, string> = holdMs > 0 ? { [HOLD_HEADER]: String(holdMs), [GROUP_HEADER]: group } : {};
  const res = await fetch(`${RECORDER_URL}${EFFECT_PATH}${encodeURIComponent(effect)}`, { method: "POST", headers: { [BOOT_HEADER]: boot(), ...held } });
  await res.text();
  if (!res.ok) throw new Error(`the recorder answered ${res.status} for effect '${effect}'`);
  return effect;
}

/**
 * A hot counter with no I/O: many invocations on one key land in one commit group. It
 * keeps each client's last sequence number, so an add that runs after a later one of the
 * same client (per-key order broken) is counted in `disorder`.
 */
export const hot = object({
  name: TARGETED.hot,
  handlers: {
    add: async (ctx: ObjectContext, input: HotInput) => {
      const count = ((await ctx.get<number>("count")) ?? 0) + 1;
      const last = (await ctx.get<number>(`last:${input.client}`)) ?? -1;
      if (input.seq <= last) ctx.set("disorder", ((await ctx.get<number>("disorder")) ?? 0) + 1);
      ctx.set(`last:${input.client}`, Math.max(last, input.seq));
      ctx.set("count", count);
      return count;
    },
    get: handlers.object.shared(async (ctx: ObjectSharedContext): Promise<HotState> => ({
      count: (await ctx.get<number>("count")) ?? 0,
      disorder: (await ctx.get<number>("disorder")) ?? 0,
    })),
  },
});

/**
 * Sends `n` adds to one hot key from one invocation, with a call among them: they must
 * reach it in journal order across crashes (a redelivered row is never overtaken).
 */
export const sender = object({
  name: TARGETED.sender,
  handlers: {
    fan: async (ctx: ObjectContext, input: FanInput) => {
      for (let seq = 0; seq < input.n; seq++) {
        const add = { client: input.client, seq };
        if (seq === Math.floor(input.n / 2)) await ctx.objectClient(hot, input.target).add(add);
        else ctx.objectSendClient(hot, input.target).add(add);
      }
    },
  },
});

/** At most LIMITED_AT_ONCE per limit key; its step stays open so overlaps show in the recorder. */
export const limited = service({
  name: TARGETED.limited,
  options: { concurrency: { limit: LIMITED_AT_ONCE } },
  handlers: {
    work: async (ctx: Context, input: StepInput) => ctx.run("effect", () => record(ctx, input.effect, input.ms ?? 0, `limit:${ctx.request().limitKey ?? ""}`)),
  },
});

/** A → B → C: C's step stays open `holdMs` (under the 250 ms answer window), so a kill lands while C works inside B's delivery. */
export const chainA = object({
  name: TARGETED.chainA,
  handlers: {
    hop: async (ctx: ObjectContext, input: StepInput) => {
      await ctx.run("a1", () => record(ctx, `${input.effect}/a1`));
      const got = await ctx.objectClient(chainB, ctx.key).hop(input);
      await ctx.run("a2", () => record(ctx, `${input.effect}/a2`));
      return got;
    },
  },
});

export const chainB = object({
  name: TARGETED.chainB,
  handlers: {
    hop: async (ctx: ObjectContext, input: StepInput) => ctx.serviceClient(chainC).work(input),
  },
});

export const chainC = service({
  name: TARGETED.chainC,
  handlers: {
    work: async (ctx: Context, input: StepInput) => ctx.run("c", () => record(ctx, `${input.effect}/c`, input.ms ?? 0)),
  },
});

/** A step, a sleep, a step; and a send to the hot counter delayed by `ms`. */
export const napper = service({
  name: TARGETED.napper,
  handlers: {
    nap: async (ctx: Context, input: StepInput) => {
      await ctx.run("before", () => record(ctx, `${input.effect}/before`));
      await ctx.sleep(input.ms ?? 0);
      await ctx.run("after", () => record(ctx, `${input.effect}/after`));
    },
  },
});

/** Waits on an awakeable whose id it publishes to the recorder (`<effect>/awk=<id>`), then a step. */
export const waiter = service({
  name: TARGETED.waiter,
  handlers: {
    wait: async (ctx: Context, input: StepInput) => {
      const { id, promise } = ctx.awakeable<string>();
      await ctx.run("publish", () => record(ctx, `${input.effect}/awk=${id}`));
      await ctx.run("self", () => record(ctx, `${input.effect}/inv=${ctx.request().id}`));
      const value = await promise;
      await ctx.run("end", () => record(ctx, `${input.effect}/end=${value}`));
      return value;
    },
  },
});

/** Calls the waiter and waits for it: a cancel of this invocation must reach the waiter too. */
export const parent = object({
  name: TARGETED.parent,
  handlers: {
    wait: async (ctx: ObjectContext, input: StepInput) => ctx.serviceClient(waiter).wait(input),
  },
});

/** A step, a wait on the promise `go`, a step: answers the promise's value. */
export const gate = workflow({
  name: TARGETED.gate,
  handlers: {
    run: async (ctx: WorkflowContext, input: StepInput) => {
      await ctx.run("start", () => record(ctx, `${input.effect}/start`));
      const value = await ctx.promise<string>("go").get();
      await ctx.run("end", () => record(ctx, `${input.effect}/end`));
      return value;
    },
    go: async (ctx: WorkflowSharedContext, value: string) => ctx.promise<string>("go").resolve(value),
  },
});

/**
 * One step that draws a uuid as its side effect (ctx.rand would not do: it is seeded by the
 * invocation id, which a key used again after retention keeps) and records it: a repeat inside
 * retention answers the same uuid, one after it runs anew.
 */
export const keeper = service({
  name: TARGETED.keeper,
  options: { idempotencyRetention: KEEPER_RETENTION_MS, journalRetention: KEEPER_RETENTION_MS },
  handlers: {
    keep: async (ctx: Context, input: StepInput) =>
      ctx.run("keep", async () => {
        const run = crypto.randomUUID();
        await record(ctx, `${input.effect}/${run}`);
        return run;
      }),
  },
});

/** `n` steps (each held `ms`), a sleep of `sleepMs` after each but the last: paused, resumed, killed or cancelled between them. */
export const stepper = service({
  name: TARGETED.stepper,
  handlers: {
    steps: async (ctx: Context, input: StepsInput) => {
      for (let i = 0; i < input.n; i++) {
        await ctx.run(`s${i}`, () => record(ctx, `${input.effect}/s${i}`, input.ms ?? 0));
        if (input.sleepMs && i < input.n - 1) await ctx.sleep(input.sleepMs);
      }
      return input.n;
    },
  },
});

/** One holder per limit key, its step held open: a release lost with a crash leaves its waiters stalled until the limiter finds it. */
export const limitedOne = service({
  name: TARGETED.limitedOne,
  options: { concurrency: { limit: LIMITED_ONE_AT_ONCE } },
  handlers: {
    work: async (ctx: Context, input: StepInput) => ctx.run("effect", () => record(ctx, input.effect, input.ms ?? 0, `limitOne:${ctx.request().limitKey ?? ""}`)),
  },
});

const resolute = createWorker({ services: [hot, sender, limited, chainA, chainB, chainC, napper, waiter, parent, gate, keeper, stepper, limitedOne], serviceShards: TARGETED_SHARDS });

export default { fetch: resolute.fetch };
export const ResoluteObject = resolute.ResoluteObject;
