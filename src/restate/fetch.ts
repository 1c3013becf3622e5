/**
 * `resolute/restate/fetch`: the module shape of `@restatedev/restate-sdk/fetch`
 * and `@restatedev/restate-sdk-cloudflare-workers/fetch` 1.17, the entries
 * Restate's Cloudflare Workers docs import, for wrangler's `[alias]`.
 *
 * @example
 * // wrangler.toml: [alias] "@restatedev/restate-sdk-cloudflare-workers/fetch" = "resolute/restate/fetch"
 * import * as restate from "@restatedev/restate-sdk-cloudflare-workers/fetch";
 * export default restate.endpoint().bind(greeter).handler();
 * export { ResoluteObject } from "@restatedev/restate-sdk-cloudflare-workers/fetch"; // the one added line
 */
import type { EndpointOptions } from "./endpoint.js";

export * from "./common.js";
export { fetchEndpoint as endpoint } from "./endpoint-builder.js";
export type { FetchEndpoint } from "./endpoint-builder.js";
export type FetchEndpointOptions = EndpointOptions;
