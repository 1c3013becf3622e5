/**
 * Restate's definitions (`service`, `object`, `workflow`, `handlers`) with
 * Restate's types: a definition's type carries its handler map, so
 * `ctx.serviceClient(greeter)` is typed, and `{ name: "greeter" }` typed as
 * `typeof greeter` is a valid client target (a client reads only the name).
 * At run time they are Resolute's definitions; each handler is called with
 * `this` bound to its handler map (as Restate does) and its context seen
 * through `restateContext`.
 */
import * as sdk from "../../sdk/define.js";
import type { Serde } from "../../sdk/serde.js";
import type { Context, ObjectContext, ObjectSharedContext, WorkflowContext, WorkflowSharedContext } from "./context.js";
import { restateContext } from "./context-adapter.js";

export type { RetryPolicy, ServiceOptions, ObjectOptions, WorkflowOptions, Hooks, HooksProvider } from "../../sdk/define.js";

/** Phantom: the handler map a definition's type carries (never present at run time). */
declare const HANDLERS: unique symbol;

export type ServiceDefinition<P extends string, M> = { name: P; readonly [HANDLERS]?: M };
export type VirtualObjectDefinition<P extends string, M> = { name: P; readonly [HANDLERS]?: M };
export type WorkflowDefinition<P extends string, M> = { name: P; readonly [HANDLERS]?: M };

/** The handler map of a definition type (or the type itself when it is a handler map). */
export type Service<M> = M extends ServiceDefinition<string, infer S> ? S : M;
export type VirtualObject<M> = M extends VirtualObjectDefinition<string, infer O> ? O : M;
export type Workflow<M> = M extends WorkflowDefinition<string, infer W> ? W : M;
export type ServiceDefinitionFrom<M> = M extends ServiceDefinition<string, unknown> ? M : ServiceDefinition<string, M>;
export type VirtualObjectDefinitionFrom<M> = M extends VirtualObjectDefinition<string, unknown> ? M : VirtualObjectDefinition<string, M>;
export type WorkflowDefinitionFrom<M> = M extends WorkflowDefinition<string, unknown> ? M : WorkflowDefinition<string, M>;

type WithSerdes<O, I, Out> = Omit<O, "input" | "output"> & { input?: Serde<I>; output?: Serde<Out> };
export type ServiceHandlerOpts<I = any, O = any> = WithSerdes<sdk.ServiceHandlerOpts, I, O>;
export type ObjectHandlerOpts<I = any, O = any> = WithSerdes<sdk.ObjectHandlerOpts, I, O>;
export type WorkflowHandlerOpts<I = any, O = any> = WithSerdes<sdk.WorkflowHandlerOpts, I, O>;

export type ServiceHandler<F, C = Context> = F extends (ctx: C) => Promise<any> ? F : F extends (ctx: C, input: any) => Promise<any> ? F : (ctx: C, input?: any) => Promise<any>;
export type ObjectHandler<F, C = ObjectContext<any>> = ServiceHandler<F, C>;
export type WorkflowHandler<F, C = WorkflowContext<any>> = ServiceHandler<F, C>;
export type WorkflowSharedHandler<F, C = WorkflowSharedContext<any>> = ServiceHandler<F, C>;
/** A handler without input is typed `(ctx) => …`, so its clients take no input. */
export type RemoveVoidArgument<F> = F extends (ctx: infer C, arg: infer A) => infer R ? (A extends void ? (ctx: C) => R : F) : F;

export type ServiceOpts<U> = { [K in keyof U]: U[K] extends ServiceHandler<U[K], Context> ? U[K] : ServiceHandler<U[K], Context> };
export type ObjectOpts<U> = {
  [K in keyof U]: U[K] extends ObjectHandler<U[K], ObjectContext<any>>
    ? U[K]
    : U[K] extends ObjectHandler<U[K], ObjectSharedContext<any>>
      ? U[K]
      : ObjectHandler<U[K], ObjectContext<any>> | ObjectHandler<U[K], ObjectSharedContext<any>>;
};
export type WorkflowOpts<U> = { run: (ctx: WorkflowContext<any>, argument: any) => Promise<any> } & {
  [K in keyof U]: K extends "workflowSubmit" | "workflowAttach" | "workflowOutput"
    ? `${K} is a reserved keyword`
    : K extends "run"
      ? U[K] extends WorkflowHandler<U[K], WorkflowContext<any>>
        ? U[K]
        : "An handler named 'run' must take as a first argument a WorkflowContext, and must return a Promise"
      : U[K] extends WorkflowSharedHandler<U[K], WorkflowSharedContext<any>>
        ? U[K]
        : "An handler other then 'run' must accept as a first argument a WorkflowSharedContext";
};

/** What `service`, `object` and `workflow` take: a name, the handlers, options, and a description and metadata for the admin API. */
export interface DefinitionFields<P extends string, H, O> extends sdk.Described {
  name: P;
  handlers: H;
  options?: O;
}

/**
 * A stateless service.
 * @example
 * const greeter = restate.service({ name: "greeter", handlers: { greet: async (ctx: restate.Context, name: string) => `Hello ${name}!` } });
 */
export const service = <P extends string, M>(def: DefinitionFields<P, ServiceOpts<M> & ThisType<M>, sdk.ServiceOptions>): ServiceDefinition<P, M> =>
  sdk.service({ ...def, handlers: adapted(def.handlers) }) as ServiceDefinition<P, M>;

/** A virtual object: keyed state, exclusive handlers by default. */
export const object = <P extends string, M>(def: DefinitionFields<P, ObjectOpts<M> & ThisType<M>, sdk.ObjectOptions>): VirtualObjectDefinition<P, M> =>
  sdk.object({ ...def, handlers: adapted(def.handlers) }) as VirtualObjectDefinition<P, M>;

/** A workflow: `run` once per workflow id, shared handlers beside it. */
export const workflow = <P extends string, M>(def: DefinitionFields<P, WorkflowOpts<M> & ThisType<M>, sdk.WorkflowOptions>): WorkflowDefinition<P, M> =>
  sdk.workflow({ ...def, handlers: adapted(def.handlers) as Record<string, AnyHandler> & { run: AnyHandler } }) as WorkflowDefinition<P, M>;

type Fn<C, I, O> = (ctx: C, input: I) => Promise<O>;
/** A `handlers.*` wrapper: `(opts, fn)` or `(fn)`, the input and output types read from the serdes or the function. */
type KindWrapper<C, Opts> = {
  <O, I = void>(opts: WithSerdes<Opts, I, O>, fn: Fn<C, I, O>): RemoveVoidArgument<Fn<C, I, O>>;
  <O, I = void>(fn: Fn<C, I, O>): RemoveVoidArgument<Fn<C, I, O>>;
};

/** Restate's `handlers.*`: a handler with options or a kind (Resolute's, typed with Restate's contexts). */
export const handlers = {
  handler: sdk.handlers.handler as <O, I = void>(opts: ServiceHandlerOpts<I, O>, fn: Fn<Context, I, O>) => RemoveVoidArgument<Fn<Context, I, O>>,
  object: {
    exclusive: sdk.handlers.object.exclusive as KindWrapper<ObjectContext<any>, sdk.ObjectHandlerOpts>,
    shared: sdk.handlers.object.shared as KindWrapper<ObjectSharedContext<any>, sdk.ObjectHandlerOpts>,
  },
  workflow: {
    workflow: sdk.handlers.workflow.workflow as KindWrapper<WorkflowContext<any>, sdk.WorkflowHandlerOpts>,
    shared: sdk.handlers.workflow.shared as KindWrapper<WorkflowSharedContext<any>, sdk.WorkflowHandlerOpts>,
  },
};

/** Restate's older names for `handlers.*`. */
export const createServiceHandler = handlers.handler;
export const createObjectHandler = handlers.object.exclusive;
export const createObjectSharedHandler = handlers.object.shared;
export const createWorkflowHandler = handlers.workflow.workflow;
export const createWorkflowSharedHandler = handlers.workflow.shared;

type AnyHandler = (this: unknown, ctx: unknown, input: unknown) => unknown;

/** Each handler called with Restate's `this` (the handler map) and a Restate-shaped context, its options kept. */
function adapted(map: object): Record<string, AnyHandler> {
  const original = map as Record<string, unknown>;
  const out: Record<string, AnyHandler> = {};
  for (const [name, fn] of Object.entries(original)) {
    if (typeof fn !== "function") throw new TypeError(`Handler '${name}' must be a function, got ${typeof fn}`);
    const wrapped: AnyHandler = (ctx, input) => (fn as AnyHandler).call(original, restateContext(ctx as object), input);
    out[name] = Object.assign(wrapped, { [sdk.HANDLER_META]: sdk.handlerMeta(fn) });
  }
  return out;
}
