/**
 * What every entry of `resolute/restate` exports, as `@restatedev/restate-sdk`
 * 1.17 names it: definitions, contexts, clients and their options, promises,
 * errors, serde, and the Worker pieces (`ResoluteObject`, `worker`).
 */
import { RestatePromise } from "../../sdk/promise.js";
import { serde as resoluteSerde, type Serde } from "../../sdk/serde.js";

export {
  service,
  object,
  workflow,
  handlers,
  createServiceHandler,
  createObjectHandler,
  createObjectSharedHandler,
  createWorkflowHandler,
  createWorkflowSharedHandler,
} from "./definitions.js";
export type {
  ServiceDefinition,
  VirtualObjectDefinition,
  WorkflowDefinition,
  Service,
  VirtualObject,
  Workflow,
  ServiceDefinitionFrom,
  VirtualObjectDefinitionFrom,
  WorkflowDefinitionFrom,
  ServiceHandlerOpts,
  ObjectHandlerOpts,
  WorkflowHandlerOpts,
  ServiceHandler,
  ObjectHandler,
  WorkflowHandler,
  WorkflowSharedHandler,
  RemoveVoidArgument,
  ServiceOpts,
  ObjectOpts,
  WorkflowOpts,
  ServiceOptions,
  ObjectOptions,
  WorkflowOptions,
  RetryPolicy,
  Hooks,
  HooksProvider,
  DefinitionFields,
} from "./definitions.js";
export { InvocationIdParser } from "./context.js";
export type {
  Context,
  ObjectContext,
  ObjectSharedContext,
  WorkflowContext,
  WorkflowSharedContext,
  KeyValueStore,
  StateReads,
  TypedState,
  UntypedState,
  Request,
  Target,
  InvocationId,
  InvocationHandle,
  InvocationPromise,
  InvocationReference,
  GenericCall,
  GenericSend,
  RunAction,
  RunOptions,
  Rand,
  ContextDate,
  DurablePromise,
} from "./context.js";
export { rpc, Opts, SendOpts } from "./rpc.js";
export type { Client, SendClient, ClientCallOptions, ClientSendOptions, InferArg } from "./rpc.js";
export { RestatePromise, isRestatePromise } from "../../sdk/promise.js";
export { RestateError, TerminalError, TimeoutError, CancelledError, RetryableError, PauseError } from "../../sdk/errors.js";
export type { Serde } from "../../sdk/serde.js";
export type { Duration } from "../../sdk/duration.js";
export { ResoluteObject, worker, createEndpointHandler } from "./endpoint.js";
export type { EndpointOptions, DefaultServiceOptions, FetchHandler, LoggerTransport, AnyDefinition } from "./endpoint.js";
export type { RestateEndpointBase } from "./endpoint-builder.js";

/** @deprecated as in Restate: use `RestatePromise`. */
export const CombineablePromise = RestatePromise;
/** @deprecated as in Restate: use `RestatePromise`. */
export type CombineablePromise<T> = RestatePromise<T>;

export interface RetryableErrorOptions {
  retryAfter?: import("../../sdk/duration.js").Duration | number;
}

/** Restate's `serde.JsonSerde`: JSON, optionally with a JSON Schema for tools (`serde.json` is one). */
class JsonSerde<T> implements Serde<T> {
  readonly contentType = "application/json";
  constructor(readonly jsonSchema?: object) {}
  serialize(value: T): Uint8Array {
    return resoluteSerde.json.serialize(value);
  }
  deserialize(data: Uint8Array): T {
    return resoluteSerde.json.deserialize(data) as T;
  }
  /** @deprecated as in Restate: pass the schema to the constructor. */
  schema<U>(jsonSchema: object): JsonSerde<U> {
    return new JsonSerde<U>(jsonSchema);
  }
}

/** `restate.serde`: Resolute's serdes (`json`, `binary`, `empty`, `schema`, `zod`) and `JsonSerde`. */
export const serde = { ...resoluteSerde, JsonSerde };

/**
 * `restate.internal`. `isSuspendedError` is always false here: Resolute never throws
 * into a handler to suspend it (a waiting attempt is dropped and its promises never settle).
 */
export const internal = {
  isSuspendedError(_error: unknown): boolean {
    return false;
  },
};
