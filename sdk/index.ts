/**
 * Resolute's public API: what handlers and clients import. Names and behaviour
 * follow Restate's TypeScript SDK (`@restatedev/restate-sdk`).
 */

// Definitions
export { service, object, workflow, handlers } from "./define.js";
export type {
  Definition,
  ServiceDefinition,
  ObjectDefinition,
  WorkflowDefinition,
  HandlerOptions,
  ServiceHandlerOpts,
  ObjectHandlerOpts,
  WorkflowHandlerOpts,
  ServiceOptions,
  ObjectOptions,
  WorkflowOptions,
  RetryPolicy,
  Hooks,
  HooksProvider,
} from "./define.js";

// Contexts
export type {
  Context,
  ObjectContext,
  ObjectSharedContext,
  WorkflowContext,
  WorkflowSharedContext,
  DurablePromise,
  RunOptions,
  Request,
  Rand,
  InvocationReference,
  CallOptions,
  SendOptions,
  GenericCall,
  GenericSend,
  UntypedState,
  StateName,
  StateValue,
} from "./context.js";

// Calls between handlers
export { rpc } from "./client-types.js";
export type { Client, SendClient } from "./client-types.js";

// Promises
export { RestatePromise, isRestatePromise } from "./promise.js";
export type { InvocationHandle, InvocationPromise } from "./promise.js";

// Errors
export { RestateError, TerminalError, TimeoutError, CancelledError, RetryableError, PauseError } from "./errors.js";

// Serialization and time
export { serde } from "./serde.js";
export type { Serde, StandardSchemaV1 } from "./serde.js";
export type { Duration } from "./duration.js";
export { MAX_DELAY_MS } from "./duration.js";

// Ingress client
export { connect, HttpCallError } from "./client.js";
export type { ConnectOptions, ClientRetryPolicy, IngressCallOptions, IngressSendOptions, GenericIngressCall, WaitOptions, Send, Output } from "./client.js";
