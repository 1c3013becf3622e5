/**
 * `resolute/restate`: the module shape of `@restatedev/restate-sdk` 1.17 (its
 * Node entry), for wrangler's `[alias]`, so a Restate service module runs on
 * Resolute unchanged but for one exported line (see the README's "Coming from Restate").
 *
 * @example
 * // wrangler.toml: [alias] "@restatedev/restate-sdk" = "resolute/restate"
 * import * as restate from "@restatedev/restate-sdk";
 * restate.serve({ services: [greeter] });
 * export { worker as default, ResoluteObject } from "@restatedev/restate-sdk";
 */
import { serveEndpoint, type EndpointOptions } from "./endpoint.js";

export * from "./common.js";
export { nodeEndpoint as endpoint } from "./endpoint-builder.js";
export type { RestateEndpoint } from "./endpoint-builder.js";
export type NodeEndpointOptions = EndpointOptions;
export interface ServeOptions extends EndpointOptions {
  /** No effect: a Worker binds no port. */
  port?: number;
}

/**
 * Builds the Worker for `services` (Restate's `serve`). Nothing listens: the Worker
 * answers through its fetch handler, so also `export { worker as default, ResoluteObject }`
 * from this module. Resolves with 0, the port it did not bind.
 */
export function serve({ port: _port, ...options }: ServeOptions): Promise<number> {
  serveEndpoint(options);
  return Promise.resolve(0);
}
