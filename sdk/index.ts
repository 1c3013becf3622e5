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
  Described,
} from "./define.js";

// Concurrency and rate limits (service and handler options; callers give a limitKey)
export type { ConcurrencyLimit, RateLimit, FlowControlOptions } from "./flow-control.js";

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
  ContextDate,
} from "./context.js";

// Calls between handlers
export { rpc } from "./client-types.js";
export type { Client, SendClient, TaggedCallOptions, TaggedSendOptions, ServiceDefinitionLike, ObjectDefinitionLike, WorkflowDefinitionLike, AnyHandler } from "./client-types.js";

// Promises
export { RestatePromise, isRestatePromise } from "./promise.js";
export type { InvocationHandle, InvocationPromise } from "./promise.js";

// Errors
export { RestateError, TerminalError, TimeoutError, CancelledError, RetryableError, PauseError } from "./errors.js";
export type { ErrorOptions } from "./errors.js";

// Serialization and time
export { serde } from "./serde.js";
export type { Serde, StandardSchemaV1 } from "./serde.js";
export type { Duration } from "./duration.js";
export { MAX_DELAY_MS } from "./duration.js";

// Ingress client
export { connect, HttpCallError } from "./client.js";
export type { ConnectOptions, ClientRetryPolicy, IngressCallOptions, IngressSendOptions, IngressClient, IngressSendClient, IngressWorkflowClient, GenericIngressCall, WaitOptions, Send, Output, Ingress } from "./client.js";
export type { DefinitionLike, DefinitionRef } from "./client-types.js";
