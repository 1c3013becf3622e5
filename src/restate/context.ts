/**
 * The context types of `@restatedev/restate-sdk` 1.17, as `resolute/restate`
 * serves them: the same names, members and signatures, minus what Resolute
 * does not run (`ctx.signal`, `ctx.scope`, `ctx.client(iface)`), so code that
 * uses those fails to compile instead of failing at run time. The objects
 * handlers receive are Resolute's contexts (sdk/context.ts) seen through
 * `restateContext` (context-adapter.ts).
 */
import type * as sdk from "../../sdk/context.js";
import type { ContextDate, DurablePromise, Rand, RunOptions } from "../../sdk/context.js";
import type { Duration } from "../../sdk/duration.js";
import type { TerminalError } from "../../sdk/errors.js";
import type { RestatePromise } from "../../sdk/promise.js";
import type { Serde } from "../../sdk/serde.js";
import type { Client, SendClient } from "./rpc.js";
import type { ServiceDefinitionFrom, Service, VirtualObjectDefinitionFrom, VirtualObject, WorkflowDefinitionFrom, Workflow } from "./definitions.js";

export type { ContextDate, DurablePromise, Rand, RunOptions, RestatePromise };

/** An invocation id (`inv_…`): a string, branded so ids are not mixed up with other strings. */
export type InvocationId = string & { __brand: "InvocationId" };

/**
 * Brands a string as an `InvocationId`, as Restate's SDK does: it must start with `inv`.
 * @example
 * ctx.invocation(restate.InvocationIdParser.fromString(id)).cancel();
 */
export const InvocationIdParser = {
  fromString(id: string): InvocationId {
    if (!id.startsWith("inv")) throw new Error(`Expected invocation id to start with 'inv' but got ${id}`);
    return id as InvocationId;
  },
};

export type InvocationHandle = { readonly invocationId: Promise<InvocationId> };
export type InvocationPromise<T> = RestatePromise<T> & InvocationHandle;

export interface Target {
  service: string;
  handler: string;
  key?: string;
}

/** The request that started this invocation. On Workers `extraArgs` is `[env]`. */
export interface Request {
  readonly target: Target;
  readonly id: InvocationId;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
  readonly extraArgs: unknown[];
  readonly idempotencyKey?: string;
  /** The caller's limit key (Restate's experimental flow control). */
  readonly limitKey?: string;
  readonly attemptCompletedSignal: AbortSignal;
}

/** Typed state: `ObjectContext<{ count: number }>`. */
export type TypedState = Record<string, any>;
/** The default: any name, each `get<T>`/`set<T>` says its type. */
export type UntypedState = Record<string, any>;

export type RunAction<T> = (() => Promise<T>) | (() => T);

export type GenericCall<REQ, RES> = sdk.GenericCall<REQ, RES>;
export type GenericSend<REQ> = sdk.GenericSend<REQ>;

export interface InvocationReference {
  cancel(): void;
  attach<T>(serde?: Serde<T>): RestatePromise<T>;
}

export interface Context {
  rand: Rand;
  console: Console;
  date: ContextDate;
  run<T>(action: RunAction<T>): RestatePromise<T>;
  run<T>(name: string, action: RunAction<T>): RestatePromise<T>;
  run<T>(name: string, action: RunAction<T>, options: RunOptions<T>): RestatePromise<T>;
  awakeable<T>(serde?: Serde<T>): { id: string; promise: RestatePromise<T> };
  resolveAwakeable<T>(id: string, payload?: T, serde?: Serde<T>): void;
  rejectAwakeable(id: string, reason: string | TerminalError): void;
  sleep(duration: Duration | number, name?: string): RestatePromise<void>;
  serviceClient<D>(service: ServiceDefinitionFrom<D>): Client<Service<D>>;
  objectClient<D>(object: VirtualObjectDefinitionFrom<D>, key: string): Client<VirtualObject<D>>;
  workflowClient<D>(workflow: WorkflowDefinitionFrom<D>, key: string): Client<Workflow<D>>;
  serviceSendClient<D>(service: ServiceDefinitionFrom<D>): SendClient<Service<D>>;
  objectSendClient<D>(object: VirtualObjectDefinitionFrom<D>, key: string): SendClient<VirtualObject<D>>;
  workflowSendClient<D>(workflow: WorkflowDefinitionFrom<D>, key: string): SendClient<Workflow<D>>;
  genericCall<REQ = Uint8Array, RES = Uint8Array>(call: GenericCall<REQ, RES>): InvocationPromise<RES>;
  genericSend<REQ = Uint8Array>(call: GenericSend<REQ>): InvocationHandle;
  request(): Request;
  /** @deprecated as in Restate: use `ctx.invocation(id).cancel()`. */
  cancel(invocationId: InvocationId): void;
  /** @deprecated as in Restate: use `ctx.invocation(id).attach()`. */
  attach<T>(invocationId: InvocationId, serde?: Serde<T>): RestatePromise<T>;
  invocation(invocationId: InvocationId): InvocationReference;
}

/** State reads, typed as Resolute types them: by the state record (`get("count")`), else `get<T>(name)`. */
export interface StateReads<TState extends TypedState> extends Pick<sdk.ObjectSharedContext<TState>, "get" | "stateKeys"> {}

export interface KeyValueStore<TState extends TypedState> extends StateReads<TState>, Pick<sdk.ObjectContext<TState>, "set" | "clear" | "clearAll"> {}

export interface ObjectContext<TState extends TypedState = UntypedState> extends Context, KeyValueStore<TState> {
  key: string;
}

export interface ObjectSharedContext<TState extends TypedState = UntypedState> extends Context, StateReads<TState> {
  key: string;
}

export interface WorkflowSharedContext<TState extends TypedState = UntypedState> extends ObjectSharedContext<TState> {
  promise<T>(name: string, serde?: Serde<T>): DurablePromise<T>;
}

export interface WorkflowContext<TState extends TypedState = UntypedState> extends WorkflowSharedContext<TState>, ObjectContext<TState> {}
