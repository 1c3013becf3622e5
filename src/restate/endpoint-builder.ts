/**
 * Restate's (deprecated, still common) endpoint builder:
 * `restate.endpoint().bind(greeter).bind(counter).handler()`. It collects the
 * services and builds the Worker (serveEndpoint) on `handler()`, `listen()`
 * or `serve()`. What only makes sense for a Node server either does nothing
 * (request signing, logger, protocol mode) or throws saying what to write instead.
 */
import { fetchOf, serveEndpoint, unsupportedCodec, type AnyDefinition, type DefaultServiceOptions, type FetchHandler, type LoggerTransport } from "./endpoint.js";

export interface RestateEndpointBase<E> {
  bind(service: AnyDefinition): E;
  /** No effect on Workers (see EndpointOptions.identityKeys). */
  withIdentityV1(...keys: string[]): E;
  defaultServiceOptions(options: DefaultServiceOptions): E;
  /** No effect: handlers log through `ctx.console`. */
  setLogger(logger: LoggerTransport): E;
  /** Not supported: throws (see EndpointOptions.journalValueCodecProvider). */
  journalValueCodecProvider(provider: never): E;
}

/** `endpoint()` of `@restatedev/restate-sdk/fetch` and `…-cloudflare-workers/fetch`. */
export interface FetchEndpoint extends RestateEndpointBase<FetchEndpoint> {
  /** The Worker's default export: `export default restate.endpoint().bind(greeter).handler();` */
  handler(): FetchHandler;
  /** No effect. */
  bidirectional(set?: boolean): FetchEndpoint;
}

/** `endpoint()` of `@restatedev/restate-sdk` (Restate's Node entry), as a Worker can use it. */
export interface RestateEndpoint extends RestateEndpointBase<RestateEndpoint> {
  /** Builds the Worker; nothing listens (the Worker answers through `worker.fetch`) and it resolves with 0. */
  listen(port?: number): Promise<number>;
  /** As on the fetch entry: a Worker has no Node server to hand a request listener to. */
  handler(options?: { bidirectional?: boolean }): FetchHandler;
  /** Throws: Node's http2 server does not run on Workers. */
  http2Handler(options?: { bidirectional?: boolean }): never;
  /** Throws: Node's http server does not run on Workers. */
  http1Handler(options?: { bidirectional?: boolean }): never;
}

class EndpointBuilder implements FetchEndpoint, RestateEndpoint {
  readonly #services: AnyDefinition[] = [];
  #defaults: DefaultServiceOptions | undefined;
  #handler: FetchHandler | undefined;

  bind(service: AnyDefinition): this {
    if (this.#handler) throw new TypeError(`bind(${service.name}) after the endpoint was built: bind every service before handler() or listen()`);
    this.#services.push(service);
    return this;
  }
  withIdentityV1(..._keys: string[]): this {
    return this;
  }
  defaultServiceOptions(options: DefaultServiceOptions): this {
    this.#defaults = options;
    return this;
  }
  setLogger(_logger: LoggerTransport): this {
    return this;
  }
  journalValueCodecProvider(_provider: never): this {
    throw unsupportedCodec();
  }
  bidirectional(_set?: boolean): this {
    return this;
  }
  handler(_options?: { bidirectional?: boolean }): FetchHandler {
    this.#handler ??= { fetch: fetchOf(serveEndpoint({ services: this.#services, ...(this.#defaults ? { defaultServiceOptions: this.#defaults } : {}) })) };
    return this.#handler;
  }
  listen(_port?: number): Promise<number> {
    this.handler();
    return Promise.resolve(0);
  }
  http2Handler(): never {
    throw nodeServerOnly("http2Handler");
  }
  http1Handler(): never {
    throw nodeServerOnly("http1Handler");
  }
}

function nodeServerOnly(method: string): TypeError {
  return new TypeError(
    `endpoint().${method}() makes a request listener for a Node server, which does not run on Workers: ` +
      "export default restate.endpoint().bind(service).handler() instead, and export ResoluteObject (see the README's \"Coming from Restate\")",
  );
}

/** A new endpoint for the fetch entries. */
export function fetchEndpoint(): FetchEndpoint {
  return new EndpointBuilder();
}

/** A new endpoint for the Node entry. */
export function nodeEndpoint(): RestateEndpoint {
  return new EndpointBuilder();
}
