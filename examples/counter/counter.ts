/**
 * A virtual object: one counter per key. `add` is exclusive (the default), so
 * concurrent adds on one key queue up and never lose an update; `get` is
 * shared and reads beside them.
 *
 *   curl -X POST localhost:8787/counter/visits/add --json 1   →  1
 *   curl -X POST localhost:8787/counter/visits/get            →  1
 */
import { handlers, object, serde } from "resolute";
import type { ObjectContext, ObjectSharedContext } from "resolute";
import { z } from "zod";

interface CounterState {
  count: number;
}

export const counter = object({
  name: "counter",
  handlers: {
    // The input is checked (400 for anything but a number): `"abc"` would otherwise turn the count into text.
    add: handlers.object.exclusive({ input: serde.zod(z.number()) }, async (ctx: ObjectContext<CounterState>, n: number) => {
      const count = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", count);
      return count;
    }),
    get: handlers.object.shared(async (ctx: ObjectSharedContext<CounterState>) => (await ctx.get<number>("count")) ?? 0),
  },
});
