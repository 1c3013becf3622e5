import type { Duration } from "./duration.js";
import type {
  Context,
  Request,
  ObjectContext,
  ObjectSharedContext,
  WorkflowContext,
  WorkflowSharedContext,
} from "./context.js";
import type { Serde } from "./serde.js";
import type { TerminalError } from "./errors.js";
import { declaredLimits, type FlowControlOptions } from "./flow-control.js";

/** Invocation retry policy (Restate's defaults). */
export interface RetryPolicy {
  /** Attempts including the first. @default 70 */
  maxAttempts?: number;
  /** What happens when attempts run out. @default "pause" */
  onMaxAttempts?: "pause" | "kill";
  /** @default 500 ms */
  initialInterval?: Duration | number;
  /** @default 60 s */
  maxInterval?: Duration | number;
  /** @default 2 */
  exponentiationFactor?: number;
}

/**
 * Interceptors around a handler's attempts and its `ctx.run` closures (tracing,
 * logging, metrics). Each must call `next()` once and return or rethrow what it gives.
 */
export interface Hooks {
  interceptor?: {
    /** Around every attempt of the handler, replays included. */
    handler?: (next: () => Promise<void>) => Promise<void>;
    /** Around a `ctx.run` closure, only when it really executes (never on replay). */
    run?: (name: string, next: () => Promise<void>) => Promise<void>;
  };
}
/**
 * Makes the hooks of one attempt.
 * @example
 * const timing: HooksProvider = ({ request }) => ({ interceptor: {
 *   handler: async (next) => { const t = Date.now(); try { await next(); } finally { console.log(request.id, Date.now() - t); } },
 * } });
 */
export type HooksProvider = (ctx: { request: Request }) => Hooks;

/**
 * Options of one handler; unset fields fall back to the service's options. The limits
 * (`concurrency`, `rate`) go as a pair: a handler that declares either has its own
 * limit, counted apart from the service's; one that declares neither shares the service's.
 */
export interface HandlerOptions extends FlowControlOptions {
  /** The service's hooks run outside the handler's. */
  hooks?: HooksProvider[];
  input?: Serde<any>;
  output?: Serde<any>;
  /** Serde of both input and output where `input` or `output` is not set. @default serde.json */
  serde?: Serde<any>;
  /**
   * Maps an error thrown by the handler or by a `ctx.run` closure to a TerminalError
   * (not retried; journaled when thrown in a run); undefined keeps the error retryable.
   * @example
   * asTerminalError: (e) => (e instanceof ValidationError ? new TerminalError(e.message, { errorCode: 400 }) : undefined)
   */
  asTerminalError?: (error: unknown) => TerminalError | undefined;
  /**
   * When a retry's code takes another path than the journal recorded (after a deploy):
   * retry with back-off (until fixed code is deployed), pause until resumed, or fail the
   * invocation with the mismatch (code 570). @default "retry"
   */
  onJournalMismatchErrors?: "retry" | "pause" | "fail";
  /** Shown by the admin API (`GET /restate/admin/services`). */
  description?: string;
  /** Shown by the admin API (`GET /restate/admin/services`). */
  metadata?: Record<string, string>;
  retryPolicy?: RetryPolicy;
  /** Not callable from ingress, only from other handlers. @default false */
  ingressPrivate?: boolean;
  /** How long a result stays attachable by idempotency key. @default 1 day */
  idempotencyRetention?: Duration | number;
  /** How long a finished invocation's journal is kept for inspection. @default 1 day */
  journalRetention?: Duration | number;
  /**
   * The content types the handler's input may have, as Restate's `accept`: a
   * pattern such as `text/plain`, `text/*` or `*\/*`. The ingress answers 400 to a
   * request whose content type does not match (or a body without one).
   * @default the input serde's content type (`application/json` for JSON); any, when it has none
   */
  accept?: string;
  // Accepted so that code written for Restate compiles; they change nothing here.
  /** No effect: a handler runs inside its Durable Object, with no connection to time out. */
  inactivityTimeout?: Duration | number;
  /** No effect: a handler runs inside its Durable Object, with no connection to abort. */
  abortTimeout?: Duration | number;
  /** No effect: an empty output is sent without a content type. */
  setOutputContentTypeIfEmpty?: boolean;
}

/** Restate's names for the handler options of each kind. */
export type ServiceHandlerOpts = HandlerOptions;
export interface ObjectHandlerOpts extends HandlerOptions {
  /** No effect: state is always read from storage when asked for. */
  enableLazyState?: boolean;
}
export type WorkflowHandlerOpts = ObjectHandlerOpts;

/** Options of a whole service; every handler inherits them. */
export interface ServiceOptions extends Omit<HandlerOptions, "input" | "output" | "description" | "metadata" | "accept" | "setOutputContentTypeIfEmpty"> {}
export interface ObjectOptions extends ServiceOptions {
  /** No effect: state is always read from storage when asked for. */
  enableLazyState?: boolean;
}
export interface WorkflowOptions extends ObjectOptions {
  /** How long a finished workflow's result, state and promises are kept. @default 1 day */
  workflowRetention?: Duration | number;
}

/** What every definition may carry besides its handlers: shown by the admin API. */
export interface Described {
  description?: string;
  metadata?: Record<string, string>;
}

export type HandlerKind = "service" | "exclusive" | "shared" | "workflow";

/** Options attached to a handler function by `handlers.*`. */
export const HANDLER_META = Symbol.for("resolute.handlerMeta");
interface HandlerMeta {
  kind?: HandlerKind;
  options: HandlerOptions;
}
type Marked<F> = F & { [HANDLER_META]?: HandlerMeta };

function mark<F extends (...args: any[]) => any>(fn: F, kind: HandlerKind | undefined, options: HandlerOptions): F {
  // A plain function, not an arrow: a handler may call its siblings through `this` (as in Restate).
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return fn.apply(this, args);
  } as Marked<F>;
  wrapped[HANDLER_META] = { ...(kind ? { kind } : {}), options };
  return wrapped;
}

/** Reads the options `handlers.*` attached to a function. */
export function handlerMeta(fn: unknown): HandlerMeta {
  return (fn as Marked<() => void>)[HANDLER_META] ?? { options: {} };
}

type OptsOrFn<F> = [F] | [ObjectHandlerOpts, F];
function split<F>(args: OptsOrFn<F>): [HandlerOptions, F] {
  return args.length === 1 ? [{}, args[0]] : args;
}

/**
 * Wrappers that attach options or a kind to a handler.
 * @example
 * handlers: {
 *   add: handlers.object.exclusive({ retryPolicy: { maxAttempts: 3 } }, async (ctx: ObjectContext, n: number) => n),
 *   get: handlers.object.shared(async (ctx: ObjectSharedContext) => ctx.get("count")),
 * }
 */
export const handlers = {
  handler<F extends (ctx: Context, input: any) => any>(options: HandlerOptions, fn: F): F {
    return mark(fn, "service", options);
  },
  object: {
    exclusive<F extends (ctx: ObjectContext<any>, input: any) => any>(...args: OptsOrFn<F>): F {
      const [options, fn] = split(args);
      return mark(fn, "exclusive", options);
    },
    shared<F extends (ctx: ObjectSharedContext<any>, input: any) => any>(...args: OptsOrFn<F>): F {
      const [options, fn] = split(args);
      return mark(fn, "shared", options);
    },
  },
  workflow: {
    workflow<F extends (ctx: WorkflowContext<any>, input: any) => any>(...args: OptsOrFn<F>): F {
      const [options, fn] = split(args);
      return mark(fn, "workflow", options);
    },
    shared<F extends (ctx: WorkflowSharedContext<any>, input: any) => any>(...args: OptsOrFn<F>): F {
      const [options, fn] = split(args);
      return mark(fn, "shared", options);
    },
  },
};

type Handlers<C> = Record<string, (ctx: C, input: any) => any>;

export interface ServiceDefinition<N extends string = string, H extends Handlers<any> = Handlers<any>> extends Readonly<Described> {
  readonly kind: "service";
  readonly name: N;
  readonly handlers: H;
  readonly options: ServiceOptions;
}
export interface ObjectDefinition<N extends string = string, H extends Handlers<any> = Handlers<any>> extends Readonly<Described> {
  readonly kind: "object";
  readonly name: N;
  readonly handlers: H;
  readonly options: ObjectOptions;
}
export interface WorkflowDefinition<N extends string = string, H extends Handlers<any> = Handlers<any>> extends Readonly<Described> {
  readonly kind: "workflow";
  readonly name: N;
  readonly handlers: H;
  readonly options: WorkflowOptions;
}
export type Definition = ServiceDefinition | ObjectDefinition | WorkflowDefinition;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RESERVED_WORKFLOW_HANDLERS = ["workflowSubmit", "workflowAttach", "workflowOutput"];

/** Checks the limits a definition and its handlers declare (a TypeError that names the bad one). */
function checkLimits(name: string, options: FlowControlOptions | undefined, handlerFns: Record<string, unknown>): void {
  declaredLimits(options ?? {}, `'${name}'`);
  for (const [handler, fn] of Object.entries(handlerFns)) declaredLimits(handlerMeta(fn).options, `'${name}.${handler}'`);
}

function checkNames(kind: string, name: string, handlerNames: string[]): void {
  if (!NAME_PATTERN.test(name)) throw new TypeError(`Invalid ${kind} name '${name}': use letters, digits, '_', '.', '-'`);
  if (name === "restate") throw new TypeError(`'restate' is reserved for the ingress API`);
  for (const h of handlerNames) {
    if (!NAME_PATTERN.test(h)) throw new TypeError(`Invalid handler name '${name}.${h}'`);
  }
}

/**
 * A stateless service: handlers run concurrently, each invocation durable.
 * @example
 * export const greeter = service({ name: "greeter", handlers: { greet: async (ctx: Context, name: string) => `Hello ${name}` } });
 */
export function service<N extends string, H extends Handlers<Context>>(def: Described & {
  name: N;
  handlers: H;
  options?: ServiceOptions;
}): ServiceDefinition<N, H> {
  checkNames("service", def.name, Object.keys(def.handlers));
  checkLimits(def.name, def.options, def.handlers);
  return { kind: "service", name: def.name, handlers: def.handlers, options: def.options ?? {}, ...described(def) };
}

/** The description and metadata of a definition or handler, without absent fields. */
export function described(def: Described): Described {
  return { ...(def.description !== undefined ? { description: def.description } : {}), ...(def.metadata ? { metadata: def.metadata } : {}) };
}

/**
 * A virtual object: keyed state; exclusive handlers (the default) run one at a
 * time per key in arrival order, shared handlers read concurrently.
 * @example
 * export const counter = object({ name: "counter", handlers: {
 *   add: async (ctx: ObjectContext, n: number) => { const c = ((await ctx.get<number>("count")) ?? 0) + n; ctx.set("count", c); return c; },
 * } });
 */
export function object<N extends string, H extends Handlers<ObjectContext<any>>>(def: Described & {
  name: N;
  handlers: H;
  options?: ObjectOptions;
}): ObjectDefinition<N, H> {
  checkNames("object", def.name, Object.keys(def.handlers));
  checkLimits(def.name, def.options, def.handlers);
  return { kind: "object", name: def.name, handlers: def.handlers, options: def.options ?? {}, ...described(def) };
}

/**
 * A workflow: `run` executes at most once per workflow id; other handlers are
 * shared (signals and queries) and run beside it.
 * @example
 * export const signup = workflow({ name: "signup", handlers: {
 *   run: async (ctx: WorkflowContext, email: string) => { await ctx.promise<string>("clicked"); return "ok"; },
 *   click: async (ctx: WorkflowSharedContext, secret: string) => ctx.promise<string>("clicked").resolve(secret),
 * } });
 */
export function workflow<N extends string, H extends { run: (ctx: WorkflowContext<any>, input: any) => any } & Handlers<any>>(def: Described & {
  name: N;
  handlers: H;
  options?: WorkflowOptions;
}): WorkflowDefinition<N, H> {
  const names = Object.keys(def.handlers);
  checkNames("workflow", def.name, names);
  if (typeof def.handlers.run !== "function") throw new TypeError(`Workflow '${def.name}' needs a 'run' handler`);
  const reserved = names.find((n) => RESERVED_WORKFLOW_HANDLERS.includes(n));
  if (reserved) throw new TypeError(`Workflow '${def.name}': handler name '${reserved}' is reserved`);
  checkLimits(def.name, def.options, def.handlers);
  return { kind: "workflow", name: def.name, handlers: def.handlers, options: def.options ?? {}, ...described(def) };
}
