/**
 * Workload W3 as a Resolute virtual object: read `count`, three journaled steps,
 * write `count + n`, return it. The floor (floor.ts) performs the same storage
 * writes without the engine.
 */
import { object } from "../sdk/define.js";
import type { ObjectContext } from "../sdk/context.js";

interface CounterState {
  count: number;
}

async function add(ctx: ObjectContext<CounterState>, n: number): Promise<number> {
  const count = (await ctx.get("count")) ?? 0;
  for (let k = 1; k <= 3; k++) {
    await ctx.run(`step-${k}`, () => ({ k, v: count + k }));
  }
  ctx.set("count", count + n);
  return count + n;
}

export const counter = object({ name: "counter", handlers: { add } });

/**
 * The same W3 through a concurrency limit of 64 for the whole deployment (no limit key:
 * one limiter), which 64 clients never exceed: what a limit costs when it does not bind.
 */
export const limitedCounter = object({ name: "limitedCounter", options: { concurrency: { limit: 64 } }, handlers: { add } });
