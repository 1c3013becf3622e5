import type { CallOptions, SendOptions } from "./context.js";
import type { InvocationHandle, InvocationPromise } from "./promise.js";

/** A handler function, as definitions hold them. */
export type AnyHandler = (ctx: any, input: any) => Promise<any> | any;

/** Anything with a name and handlers: the definitions `service()`, `object()` and `workflow()` return. */
export interface DefinitionLike<K extends string = string> {
  readonly name: string;
  readonly kind: K;
  readonly handlers: Record<string, AnyHandler>;
}
/**
 * A definition named without its code, as Restate's clients accept: a client calls handlers by
 * name, so it needs only the definition's type (a type-only import) and its name.
 * @example
 * import type { greeter } from "./worker.js"; // erased: no handler code is bundled
 * await ingress.serviceClient<typeof greeter>({ name: "greeter" }).greet("Ada");
 */
export interface DefinitionRef<D extends DefinitionLike = DefinitionLike> {
  readonly name: D["name"];
}
export type ServiceDefinitionLike = DefinitionLike<"service">;
export type ObjectDefinitionLike = DefinitionLike<"object">;
export type WorkflowDefinitionLike = DefinitionLike<"workflow">;

type InputOf<F> = F extends (ctx: any) => any ? void : F extends (ctx: any, input: infer I) => any ? I : never;
type OutputOf<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;

/** Marks options passed to a client method (`rpc.opts` / `rpc.sendOpts`). */
export const RPC_OPTS = Symbol.for("resolute.rpcOpts");
export interface TaggedCallOptions extends CallOptions {
  readonly [RPC_OPTS]: "call";
}
export interface TaggedSendOptions extends SendOptions {
  readonly [RPC_OPTS]: "send";
}

/** Request-response client: each handler becomes `(input, opts?) => InvocationPromise<output>`. */
export type Client<D extends DefinitionLike> = {
  [H in keyof D["handlers"]]: InputOf<D["handlers"][H]> extends void
    ? (input?: InputOf<D["handlers"][H]>, opts?: TaggedCallOptions) => InvocationPromise<OutputOf<D["handlers"][H]>>
    : (input: InputOf<D["handlers"][H]>, opts?: TaggedCallOptions) => InvocationPromise<OutputOf<D["handlers"][H]>>;
};

/** One-way client: each handler becomes `(input, opts?) => InvocationHandle`. */
export type SendClient<D extends DefinitionLike> = {
  [H in keyof D["handlers"]]: InputOf<D["handlers"][H]> extends void
    ? (input?: InputOf<D["handlers"][H]>, opts?: TaggedSendOptions) => InvocationHandle
    : (input: InputOf<D["handlers"][H]>, opts?: TaggedSendOptions) => InvocationHandle;
};

/**
 * Options for calls and sends made through clients.
 * @example
 * ctx.objectSendClient(counter, "a").add(1, rpc.sendOpts({ delay: { minutes: 5 } }));
 */
export const rpc = {
  opts(options: CallOptions): TaggedCallOptions {
    return { ...options, [RPC_OPTS]: "call" };
  },
  sendOpts(options: SendOptions): TaggedSendOptions {
    return { ...options, [RPC_OPTS]: "send" };
  },
};
