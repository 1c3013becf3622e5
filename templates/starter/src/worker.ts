/**
 * The Worker: a stateless service and a virtual object (one Durable Object per key), served by
 * Resolute. Every `ctx.run` step is journaled: after a crash or a retry the recorded result is
 * replayed, not recomputed.
 */
import { createWorker, handlers, object, service, TerminalError } from "resolute";
import type { Context, ObjectContext, ObjectSharedContext } from "resolute";

export const greeter = service({
  name: "greeter",
  handlers: {
    greet: async (ctx: Context, name: string) => {
      if (!name) throw new TerminalError("say who to greet", { errorCode: 400 }); // no retry: a 400
      const greeting = await ctx.run("pick a greeting", () => (name.length % 2 ? "Hello" : "Hi"));
      return `${greeting}, ${name}!`;
    },
  },
});

type CounterState = { count: number };

export const counter = object({
  name: "counter",
  handlers: {
    // Exclusive: one at a time per key, in arrival order; the write commits with the step.
    add: async (ctx: ObjectContext<CounterState>, n: number) => {
      const count = ((await ctx.get("count")) ?? 0) + n;
      ctx.set("count", count);
      return count;
    },
    // Shared: reads beside a running exclusive handler.
    get: handlers.object.shared(async (ctx: ObjectSharedContext<CounterState>) => (await ctx.get("count")) ?? 0),
  },
});

const resolute = createWorker({ services: [greeter, counter] });

export default { fetch: resolute.fetch };
/** The Durable Object class wrangler.toml binds as RESOLUTE. */
export const ResoluteObject = resolute.ResoluteObject;
