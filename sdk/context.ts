import type { Duration } from "./duration.js";
import type { TerminalError } from "./errors.js";
import type { InvocationHandle, InvocationPromise, RestatePromise } from "./promise.js";
import type { Serde } from "./serde.js";
import type { Client, SendClient, ServiceDefinitionLike, ObjectDefinitionLike, WorkflowDefinitionLike } from "./client-types.js";

/** Retry options of one `ctx.run`; unset fields fall back to the invocation's retry policy. */
export interface RunOptions<T> {
  serde?: Serde<T>;
  /** Attempts including the first; when used up the run fails with a `TerminalError`. */
  maxRetryAttempts?: number;
  /** Total time after the first failure during which the run is retried. */
  maxRetryDuration?: Duration | number;
  /** @default 50 ms */
  initialRetryInterval?: Duration | number;
  /** @default 10 s */
  maxRetryInterval?: Duration | number;
  /** @default 2 */
  retryIntervalFactor?: number;
}

/** The request that started this invocation. */
export interface Request {
  readonly id: string;
  readonly target: { service: string; handler: string; key?: string };
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
  readonly idempotencyKey?: string;
  /** The limit key the caller gave (`rpc.opts({ limitKey })`, the `x-restate-limit-key` header). */
  readonly limitKey?: string;
  /** On Cloudflare: `[env]`, the Worker's bindings (KV, secrets, service bindings...). */
  readonly extraArgs: readonly unknown[];
  /**
   * Aborted when this attempt ends: it finished, failed, was killed, or was dropped to be
   * replayed. Pass it to the I/O in a `ctx.run` closure so the I/O does not outlive its attempt.
   * @example
   * await ctx.run("fetch", () => fetch(url, { signal: ctx.request().attemptCompletedSignal }).then((r) => r.json()));
   */
  readonly attemptCompletedSignal: AbortSignal;
}

/**
 * Deterministic randomness, seeded by the invocation id: a replay draws the
 * same values. Not crypto-safe, and predictable by anyone who knows the id — a
 * workflow's `run` id is derived from the workflow id. For secrets use
 * `ctx.run("secret", () => crypto.randomUUID())`, which is journaled.
 */
export interface Rand {
  random(): number;
  uuidv4(): string;
}

/** Journaled time. */
export interface ContextDate {
  now(): Promise<number>;
  toJSON(): Promise<string>;
}

/** Another invocation, addressed by id. */
export interface InvocationReference {
  /** Cancels it: its next await throws `CancelledError`. */
  cancel(): void;
  /** Waits for its result. */
  attach<T>(serde?: Serde<T>): RestatePromise<T>;
}

/** Options of a request-response call (`rpc.opts`). */
export interface CallOptions {
  idempotencyKey?: string;
  /**
   * Counts the invocation against its target's concurrency and rate limits under this
   * key (each key has its own budget, e.g. one per tenant); ignored by targets without
   * limits. Sent as the `x-restate-limit-key` header, as Restate does.
   */
  limitKey?: string;
  headers?: Record<string, string>;
  input?: Serde<any>;
  output?: Serde<any>;
  name?: string;
}
/** Options of a one-way message (`rpc.sendOpts`). */
export interface SendOptions {
  delay?: Duration | number;
  idempotencyKey?: string;
  /**
   * Counts the invocation against its target's concurrency and rate limits under this
   * key (each key has its own budget, e.g. one per tenant); ignored by targets without
   * limits. Sent as the `x-restate-limit-key` header, as Restate does.
   */
  limitKey?: string;
  headers?: Record<string, string>;
  input?: Serde<any>;
  name?: string;
}

/** A call described by names rather than a definition. */
export interface GenericCall<REQ, RES> {
  service: string;
  method: string;
  parameter: REQ;
  key?: string;
  headers?: Record<string, string>;
  inputSerde?: Serde<REQ>;
  outputSerde?: Serde<RES>;
  idempotencyKey?: string;
  /** See CallOptions.limitKey. */
  limitKey?: string;
  name?: string;
}
export interface GenericSend<REQ> extends Omit<GenericCall<REQ, unknown>, "outputSerde"> {
  delay?: Duration | number;
}

/**
 * What every handler receives. Every operation is journaled: on retry or
 * after a restart the recorded results are returned instead of running again.
 */
export interface Context {
  /**
   * Runs `action` once; its result is durable before the promise resolves. The action
   * must not use the context: a context call from it (before its first `await`) throws
   * a TerminalError, since a replay skips the action and could not journal it.
   */
  run<T>(action: () => T | Promise<T>): RestatePromise<T>;
  run<T>(name: string, action: () => T | Promise<T>, options?: RunOptions<T>): RestatePromise<T>;
  /** A durable timer: survives restarts; resumes the handler after at least `duration`. */
  sleep(duration: Duration | number, name?: string): RestatePromise<void>;
  /**
   * A webhook-like completion: hand `id` to another system, await `promise`. The id holds
   * a random secret (it cannot be derived from the invocation id): whoever has it can
   * resolve or reject the awakeable once, while the invocation runs.
   */
  awakeable<T>(serde?: Serde<T>): { id: string; promise: RestatePromise<T> };
  resolveAwakeable<T>(id: string, payload?: T, serde?: Serde<T>): void;
  rejectAwakeable(id: string, reason: string | TerminalError): void;
  serviceClient<D extends ServiceDefinitionLike>(def: D): Client<D>;
  objectClient<D extends ObjectDefinitionLike>(def: D, key: string): Client<D>;
  workflowClient<D extends WorkflowDefinitionLike>(def: D, id: string): Client<D>;
  serviceSendClient<D extends ServiceDefinitionLike>(def: D): SendClient<D>;
  objectSendClient<D extends ObjectDefinitionLike>(def: D, key: string): SendClient<D>;
  workflowSendClient<D extends WorkflowDefinitionLike>(def: D, id: string): SendClient<D>;
  genericCall<REQ = Uint8Array, RES = Uint8Array>(call: GenericCall<REQ, RES>): InvocationPromise<RES>;
  genericSend<REQ = Uint8Array>(send: GenericSend<REQ>): InvocationHandle;
  invocation(id: string): InvocationReference;
  /** Same as `ctx.invocation(id).cancel()` (Restate's older name, kept for ported code). */
  cancel(invocationId: string): void;
  /** Same as `ctx.invocation(id).attach(serde)` (Restate's older name, kept for ported code). */
  attach<T>(invocationId: string, serde?: Serde<T>): RestatePromise<T>;
  request(): Request;
  readonly rand: Rand;
  readonly date: ContextDate;
  /** A console that is silent while the handler replays its journal. */
  readonly console: Console;
}

/**
 * The default state type of the keyed contexts: any name, and each `get`/`set`
 * says its value type (`ctx.get<number>("count")`). Pass a record type
 * instead (`ObjectContext<{ count: number }>`) to type state by name.
 */
export type UntypedState = Record<string, any>;

/** A state name: any string for untyped state, else one of the record's keys. */
export type StateName<TState> = string extends keyof TState ? string : keyof TState & string;

/**
 * The value type at `name`. Untyped state: `T` (`any` unless given). Typed
 * state: `TState[K]`, or `T` when given explicitly (`ctx.get<number>("count")`);
 * `T` is never inferred from a value there, so `set` checks values against the record.
 */
export type StateValue<TState, K, T> = string extends keyof TState
  ? T
  : 0 extends 1 & T
    ? TState[K & keyof TState]
    : NoInfer<T>;

/**
 * Read-only view of a virtual object's state (shared handlers).
 * @example
 * async (ctx: ObjectSharedContext<{ count: number }>) => (await ctx.get("count")) ?? 0 // number
 */
export interface ObjectSharedContext<TState extends Record<string, any> = UntypedState> extends Context {
  readonly key: string;
  /**
   * Reads a state value (journaled, so a replay sees the same value); null when unset.
   * @example
   * const count = await ctx.get("count"); // number | null with ObjectContext<{ count: number }>
   * const name = await ctx.get<string>("name"); // untyped state: say the type
   */
  get<T = any, K extends StateName<TState> = StateName<TState>>(
    name: K,
    serde?: Serde<StateValue<TState, K, T>>,
  ): Promise<StateValue<TState, K, T> | null>;
  stateKeys(): Promise<string[]>;
}

/**
 * Exclusive handler of a virtual object: reads and writes state.
 * @example
 * async (ctx: ObjectContext<{ count: number }>, n: number) => {
 *   const count = ((await ctx.get("count")) ?? 0) + n;
 *   ctx.set("count", count); // ctx.set("count", "1") does not compile
 *   return count;
 * }
 */
export interface ObjectContext<TState extends Record<string, any> = UntypedState> extends ObjectSharedContext<TState> {
  /**
   * Writes a state value; it commits atomically with its journal entry.
   * @example
   * ctx.set("count", 1);
   */
  set<T = any, K extends StateName<TState> = StateName<TState>>(
    name: K,
    value: StateValue<TState, K, T>,
    serde?: Serde<StateValue<TState, K, T>>,
  ): void;
  clear(name: StateName<TState>): void;
  clearAll(): void;
}

/** A workflow's durable promise: resolved once, readable until retention ends. */
export interface DurablePromise<T> extends Promise<T> {
  peek(): Promise<T | undefined>;
  resolve(value?: T): Promise<void>;
  reject(message: string): Promise<void>;
  get(): RestatePromise<T>;
}

/** Shared handlers of a workflow (signals, queries). */
export interface WorkflowSharedContext<TState extends Record<string, any> = UntypedState>
  extends ObjectSharedContext<TState> {
  promise<T>(name: string, serde?: Serde<T>): DurablePromise<T>;
}

/** The `run` handler of a workflow. */
export interface WorkflowContext<TState extends Record<string, any> = UntypedState>
  extends WorkflowSharedContext<TState>,
    ObjectContext<TState> {}
