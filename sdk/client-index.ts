/**
 * The `resolute/client` entry: the typed HTTP client for a Resolute (or Restate) ingress, for
 * Node and browsers. It needs none of the handlers' code: pass a definition, or only its name
 * typed with the definition's type (Restate's phantom definitions).
 *
 * @example
 * import { connect } from "resolute/client";
 * import type { counter } from "./worker.js"; // a type-only import: erased from the bundle
 * const ingress = connect({ url: "http://127.0.0.1:8787" });
 * const count = await ingress.objectClient<typeof counter>({ name: "counter" }, "visits").add(1);
 */
export { connect, HttpCallError } from "./client.js";
export type {
  ConnectOptions,
  ClientRetryPolicy,
  IngressCallOptions,
  IngressSendOptions,
  IngressClient,
  IngressSendClient,
  IngressWorkflowClient,
  GenericIngressCall,
  WaitOptions,
  Send,
  Output,
  Ingress,
} from "./client.js";
export type { DefinitionLike, DefinitionRef, AnyHandler } from "./client-types.js";
export type { CallOptions, SendOptions } from "./context.js";
export { serde } from "./serde.js";
export type { Serde, StandardSchemaV1 } from "./serde.js";
export type { Duration } from "./duration.js";
