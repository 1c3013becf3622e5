/**
 * The benchmark's services written with Restate's own Node SDK, served for
 * `npm run bench -- --peer restate` (bench/peers/restate.ts copies this file into
 * the peer's install directory, so the SDK resolves from there, and runs it):
 *
 *   counter.add(n)  W3: get `count`, three ctx.run steps, set `count + n` (as bench/counter.ts)
 *   chainA.hop(n) → chainB.hop(n) (same key) → chainC.hop({ key, n })   (as bench/chain.ts)
 *
 * Plain JavaScript: it runs on Node without this repository's tooling.
 */
// Restate's SDK 1.17 calls Promise.withResolvers, which Node 20 lacks.
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const restate = await import("@restatedev/restate-sdk");

const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx, n) {
      const count = (await ctx.get("count")) ?? 0;
      for (let k = 1; k <= 3; k++) await ctx.run(`step-${k}`, () => ({ k, v: count + k }));
      ctx.set("count", count + n);
      return count + n;
    },
  },
});

const chainC = restate.service({
  name: "chainC",
  handlers: {
    async hop(ctx, input) {
      return [await ctx.run("c", () => ({ hop: "c", key: input.key, n: input.n }))];
    },
  },
});

const chainB = restate.object({
  name: "chainB",
  handlers: {
    async hop(ctx, n) {
      const step = await ctx.run("b", () => ({ hop: "b", key: ctx.key, n }));
      return [step, ...(await ctx.serviceClient(chainC).hop({ key: ctx.key, n }))];
    },
  },
});

const chainA = restate.object({
  name: "chainA",
  handlers: {
    async hop(ctx, n) {
      const step = await ctx.run("a", () => ({ hop: "a", key: ctx.key, n }));
      return [step, ...(await ctx.objectClient(chainB, ctx.key).hop(n))];
    },
  },
});

const port = await restate.serve({ services: [counter, chainA, chainB, chainC], port: Number(process.env.PORT ?? 0) });
console.log(`listening on ${port}`);
