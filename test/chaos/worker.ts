/**
 * The chaos fixture Worker (`npm run chaos`): a counter object, a relay service
 * calling and sending to it, a sleeper service and a workflow. Every `ctx.run`
 * side effect POSTs its effect id to the chaos runner's recorder (RECORDER_URL),
 * tagged with this process's boot id, so the checker can count executions and
 * tell a re-execution after a crash (two boot ids) from one without (one).
 */
import { createWorker, type ResoluteEnv } from "../../src/index.js";
import { handlers, object, service, workflow } from "../../sdk/define.js";
import type { Context, ObjectContext, ObjectSharedContext, WorkflowContext, WorkflowSharedContext } from "../../sdk/context.js";
import { rpc } from "../../sdk/client-types.js";
import { BOOT_HEADER, EFFECT_PATH, GO_PROMISE, GROUP_HEADER, HOLD_HEADER, LIMITED_CONCURRENCY, LIMITED_HOLD_MS, NAMES, SERVICE_SHARDS, type AddInput, type NapInput, type RelayInput } from "./protocol.js";

interface ChaosEnv extends ResoluteEnv {
  RECORDER_URL: string;
}

let bootId: string | undefined;

/** This isolate's id, drawn on first use: workerd refuses random values at module scope. */
function boot(): string {
  return (bootId ??= crypto.randomUUID());
}

/** The side effect of a step: one POST to the recorder per execution (held open and counted in `group`, if given). */
async function record(ctx: Context, effect: string, group?: string): Promise<string> {
  const { RECORDER_URL } = ctx.request().extraArgs[0] as ChaosEnv;
  const held: Record<string, string> = group === undefined ? {} : { [HOLD_HEADER]: String(LIMITED_HOLD_MS), [GROUP_HEADER]: group };
  const res = await fetch(`${RECORDER_URL}${EFFECT_PATH}${encodeURIComponent(effect)}`, { method: "POST", headers: { [BOOT_HEADER]: boot(), ...held } });
  await res.text();
  if (!res.ok) throw new Error(`the recorder answered ${res.status} for effect '${effect}'`);
  return effect;
}

export const chaosCounter = object({
  name: NAMES.counter,
  handlers: {
    /** One step, then +1: answers the new count. */
    add: async (ctx: ObjectContext, input: AddInput) => {
      await ctx.run("effect", () => record(ctx, input.effect));
      const count = ((await ctx.get<number>("count")) ?? 0) + 1;
      ctx.set("count", count);
      return count;
    },
    get: handlers.object.shared(async (ctx: ObjectSharedContext) => (await ctx.get<number>("count")) ?? 0),
  },
});

export const chaosRelay = service({
  name: NAMES.relay,
  handlers: {
    /** Request-response between handlers: answers the count the counter's add answered. */
    call: async (ctx: Context, input: RelayInput) => {
      await ctx.run("effect", () => record(ctx, input.effect));
      return ctx.objectClient(chaosCounter, input.key).add({ effect: `${input.effect}/add` });
    },
    /** A one-way send from a handler (delayed with `delayMs`): answers the add's invocation id. */
    send: async (ctx: Context, input: RelayInput) => {
      await ctx.run("effect", () => record(ctx, input.effect));
      const opts = input.delayMs ? rpc.sendOpts({ delay: input.delayMs }) : undefined;
      return ctx.objectSendClient(chaosCounter, input.key).add({ effect: `${input.effect}/add` }, opts).invocationId;
    },
  },
});

export const chaosSleeper = service({
  name: NAMES.sleeper,
  handlers: {
    /** A step, a durable sleep, a step: answers the slept time. */
    nap: async (ctx: Context, input: NapInput) => {
      await ctx.run("before", () => record(ctx, `${input.effect}/before`));
      await ctx.sleep(input.ms);
      await ctx.run("after", () => record(ctx, `${input.effect}/after`));
      return input.ms;
    },
  },
});

export const chaosFlow = workflow({
  name: NAMES.flow,
  handlers: {
    /** A step, a durable sleep, a wait on the durable promise `go`, a step: answers the promise's value. */
    run: async (ctx: WorkflowContext, input: NapInput) => {
      await ctx.run("start", () => record(ctx, `${input.effect}/start`));
      await ctx.sleep(input.ms);
      const value = await ctx.promise<string>(GO_PROMISE).get();
      await ctx.run("end", () => record(ctx, `${input.effect}/end`));
      return value;
    },
    go: async (ctx: WorkflowSharedContext, value: string) => ctx.promise<string>(GO_PROMISE).resolve(value),
  },
});

/** At most LIMITED_CONCURRENCY at once per limit key (issue 15); its step's effect is counted by key. */
export const chaosLimited = service({
  name: NAMES.limited,
  options: { concurrency: { limit: LIMITED_CONCURRENCY } },
  handlers: {
    work: async (ctx: Context, input: AddInput) => ctx.run("effect", () => record(ctx, input.effect, ctx.request().limitKey ?? "")),
  },
});

const resolute = createWorker({ services: [chaosCounter, chaosRelay, chaosSleeper, chaosFlow, chaosLimited], serviceShards: SERVICE_SHARDS });

export default { fetch: resolute.fetch };
export const ResoluteObject = resolute.ResoluteObject;
