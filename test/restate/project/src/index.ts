/**
 * The tiny project's Worker: a Restate module for Cloudflare Workers, with the
 * one added line (the last) that exports Resolute's Durable Object class.
 */
import * as restate from "@restatedev/restate-sdk-cloudflare-workers/fetch";

const greeter = restate.service({
  name: "greeter",
  handlers: {
    greet: async (ctx: restate.Context, name: string) => {
      const id = ctx.rand.uuidv4();
      return `Hello ${name}! (${id.length})`;
    },
  },
});

export default restate.endpoint().bind(greeter).handler();

export { ResoluteObject } from "@restatedev/restate-sdk-cloudflare-workers/fetch";
