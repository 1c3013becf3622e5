/**
 * Restate's endpoints (`endpoint()`, `createEndpointHandler`, `serve`) build
 * the Worker: Resolute's router and Durable Object for the bound services
 * (createWorker). A Worker serves one endpoint, kept here, so that the module
 * can export the Durable Object class and the Worker without the user naming
 * the endpoint: the one line a Restate module adds is
 * `export { ResoluteObject } from "@restatedev/restate-sdk-cloudflare-workers/fetch";`
 * (or `export { worker as default, ResoluteObject } from "@restatedev/restate-sdk";`
 * after `restate.serve(...)`, which has no fetch handler to export).
 */
import { DurableObject } from "#workers-runtime";
import type { Definition, ObjectOptions, ServiceOptions, WorkflowOptions } from "../../sdk/define.js";
import { createWorker, type ResoluteEnv } from "../index.js";
import type { ServiceDefinition, VirtualObjectDefinition, WorkflowDefinition } from "./definitions.js";

export type DefaultServiceOptions = ServiceOptions & ObjectOptions & WorkflowOptions;
export type AnyDefinition = ServiceDefinition<string, unknown> | VirtualObjectDefinition<string, unknown> | WorkflowDefinition<string, unknown>;
/** Restate's logger: accepted, without effect (handlers log through `ctx.console`, the Worker's console). */
export type LoggerTransport = (...args: any[]) => void;

export interface EndpointOptions {
  services: AnyDefinition[];
  /** No effect: request signing protects a deployment from callers other than the Restate server; here the Worker is the server. */
  identityKeys?: string[];
  /** Options every bound service starts from; each service's own options win. */
  defaultServiceOptions?: DefaultServiceOptions;
  logger?: LoggerTransport;
  /** Not supported (journal encryption): a call that sets it throws, rather than storing values unencrypted. */
  journalValueCodecProvider?: never;
  /** No effect: there is no connection between a server and the handlers to stream over. */
  bidirectional?: boolean;
}

/** What a fetch endpoint's `handler()` returns: a Worker's default export. */
export interface FetchHandler {
  fetch: (request: Request, ...extraArgs: unknown[]) => Promise<Response>;
}

type Worker = ReturnType<typeof createWorker>;
let served: { worker: Worker; services: string[] } | undefined;

/** Builds the Worker for the endpoint's services; a second endpoint in the same Worker is an error. */
export function serveEndpoint(options: EndpointOptions): Worker {
  if (options.journalValueCodecProvider !== undefined) throw unsupportedCodec();
  const definitions = options.services.map((def) => withDefaults(asDefinition(def), options.defaultServiceOptions));
  const names = definitions.map((d) => d.name);
  if (served) {
    throw new TypeError(
      `This Worker already serves a Restate endpoint (${served.services.join(", ")}), and a Worker serves one: ` +
        `bind ${names.join(", ")} to that endpoint instead of building another.`,
    );
  }
  served = { worker: createWorker({ services: definitions }), services: names };
  return served.worker;
}

/** The fetch function of `createEndpointHandler`: `(request, env, ctx)`, Restate's `extraArgs` on Workers. */
export function fetchOf(worker: Worker): FetchHandler["fetch"] {
  return (request, ...extraArgs) => worker.fetch(request, extraArgs[0] as ResoluteEnv, extraArgs[1] as ExecutionContext | undefined);
}

/**
 * The Worker of the endpoint this module serves, for `export { worker as default }`
 * when the endpoint was started with `serve()` or `listen()`.
 */
export const worker = {
  fetch(request: Request, env: ResoluteEnv, ctx: ExecutionContext): Promise<Response> {
    return current().fetch(request, env, ctx);
  },
};

/**
 * The Durable Object class of the endpoint this module serves; wrangler.toml binds
 * it as `RESOLUTE` (`class_name = "ResoluteObject"`, a `new_sqlite_classes` migration).
 */
export class ResoluteObject extends DurableObject<ResoluteEnv> {
  constructor(ctx: DurableObjectState, env: ResoluteEnv) {
    super(ctx, env);
    // The instance workerd keeps is the endpoint's own object, built once the module has run.
    return new (current().ResoluteObject)(ctx, env);
  }
}

function current(): Worker {
  if (served) return served.worker;
  throw new Error(
    "This Worker serves no Restate endpoint yet: its main module must build one " +
      "(export default restate.endpoint().bind(service).handler(), { fetch: restate.createEndpointHandler({ services }) }, or restate.serve({ services }))",
  );
}

function asDefinition(def: AnyDefinition): Definition {
  const candidate = def as Partial<Definition>;
  if (candidate.kind && candidate.handlers) return candidate as Definition;
  throw new TypeError(`'${def.name}' is not a service definition: bind what restate.service(), restate.object() or restate.workflow() returned`);
}

function withDefaults(def: Definition, defaults: DefaultServiceOptions | undefined): Definition {
  return defaults ? ({ ...def, options: { ...defaults, ...def.options } } as Definition) : def;
}

export function unsupportedCodec(): TypeError {
  return new TypeError(
    "journalValueCodecProvider (journal encryption) is not supported by Resolute: values are stored as their serde writes them. " +
      "Remove the option, or encrypt inside a custom serde.",
  );
}

/**
 * The endpoint as a fetch function (Restate's `createEndpointHandler`), from the Node
 * entry too: a Worker has no Node server to hand a request listener to. A Worker's
 * default export must be an object (workerd takes a function for a class):
 * `export default { fetch: restate.createEndpointHandler({ services }) };`
 */
export function createEndpointHandler(options: EndpointOptions): FetchHandler["fetch"] {
  return fetchOf(serveEndpoint(options));
}
