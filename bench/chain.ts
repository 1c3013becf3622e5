/**
 * The call chain as Resolute handlers: `chainA.hop` (virtual object) calls
 * `chainB.hop` on the same key, which calls the stateless `chainC.hop`; each
 * journals one `ctx.run` and the answers travel back, each hop prepending its
 * own step. The floor (chain-floor.ts) does the same hops as bare Durable
 * Objects, one written row each.
 */
import { object, service } from "../sdk/define.js";
import type { Context, ObjectContext } from "../sdk/context.js";

/** What each hop's step returns; the chain answers [a, b, c]. */
export interface ChainStep {
  hop: "a" | "b" | "c";
  key: string;
  n: number;
}

export const chainC = service({
  name: "chainC",
  handlers: {
    async hop(ctx: Context, input: { key: string; n: number }): Promise<ChainStep[]> {
      return [await ctx.run("c", (): ChainStep => ({ hop: "c", key: input.key, n: input.n }))];
    },
  },
});

export const chainB = object({
  name: "chainB",
  handlers: {
    async hop(ctx: ObjectContext, n: number): Promise<ChainStep[]> {
      const step = await ctx.run("b", (): ChainStep => ({ hop: "b", key: ctx.key, n }));
      return [step, ...(await ctx.serviceClient(chainC).hop({ key: ctx.key, n }))];
    },
  },
});

export const chainA = object({
  name: "chainA",
  handlers: {
    async hop(ctx: ObjectContext, n: number): Promise<ChainStep[]> {
      const step = await ctx.run("a", (): ChainStep => ({ hop: "a", key: ctx.key, n }));
      return [step, ...(await ctx.objectClient(chainB, ctx.key).hop(n))];
    },
  },
});
