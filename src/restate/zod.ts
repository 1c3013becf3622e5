/**
 * `resolute/restate/zod`: the module shape of `@restatedev/restate-sdk-zod`
 * (`serde.zod(schema)`), for wrangler's `[alias]`. Resolute's `serde.zod`
 * validates both ways and answers a bad input with a 400 listing zod's issues.
 *
 * @example
 * // wrangler.toml: [alias] "@restatedev/restate-sdk-zod" = "resolute/restate/zod"
 * import { serde } from "@restatedev/restate-sdk-zod";
 * restate.handlers.handler({ input: serde.zod(Greeting) }, async (ctx, { name }) => `Hello ${name}`);
 */
import { serde as resoluteSerde } from "../../sdk/serde.js";

export const serde = { zod: resoluteSerde.zod };
