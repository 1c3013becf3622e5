/**
 * Resolute's typed HTTP client for the ingress, shaped like Restate's
 * `@restatedev/restate-sdk-clients`: calls, sends, delayed sends, idempotent
 * calls, attach, workflow submit/attach/output and awakeable completion.
 */
import type { CallOptions, SendOptions } from "./context.js";
import type { DefinitionLike, DefinitionRef } from "./client-types.js";
import { durationToMs, type Duration } from "./duration.js";
import { withLimitKey } from "./flow-control.js";
import { serde as serdes, type Serde } from "./serde.js";

/** A non-2xx answer from the ingress. */
export class HttpCallError extends Error {
  constructor(
    readonly status: number,
    readonly responseText: string,
    /** The answer's headers (retry-after, x-restate-error-source). */
    readonly headers?: Headers,
  ) {
    super(`Request failed: ${status}\n${responseText}`);
    this.name = "HttpCallError";
  }
}

export interface ConnectOptions {
  /** Base URL of the ingress, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (undici's is faster than Node's global one). @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Retries of failed requests, off by default: `true` for the defaults below, or a policy.
   * Retried: network errors and 408, 425, 429 and 5xx answers, except those the handler
   * itself produced (`x-restate-error-source: invocation`). Only requests that are safe to
   * repeat are retried: calls and sends with an idempotency key, workflow submit, attach
   * and output, and attach by invocation id.
   */
  retry?: boolean | ClientRetryPolicy;
}

/** How the client retries: the names and defaults of Restate's client (without its `shouldRetry`). */
export interface ClientRetryPolicy {
  /** Attempts including the first; `false`: no bound. @default 6 */
  maxAttempts?: number | false;
  /** Stop retrying once this long has passed since the first attempt (checked between attempts); `false`: no bound. @default 60 s */
  maxDuration?: Duration | number | false;
  /** @default 250 ms */
  initialInterval?: Duration | number;
  /** @default 3 s */
  maxInterval?: Duration | number;
  /** @default 2 */
  exponentiationFactor?: number;
  /** Wait what a `retry-after` header says (seconds) instead of the back-off. @default true */
  respectRetryAfter?: boolean;
}

/** Options of a call through the client: those of `rpc.opts` plus a deadline or an abort signal. */
export interface IngressCallOptions extends CallOptions, WaitOptions {}
/** Options of a send through the client. */
export interface IngressSendOptions extends SendOptions, WaitOptions {}

/** A call by names, for `connect(...).call` and `.send`. */
export interface GenericIngressCall<I = unknown> {
  service: string;
  handler: string;
  /** The object key or workflow id; absent for a service. */
  key?: string;
  parameter?: I;
}

/** What a one-way send returns. */
export interface Send {
  invocationId: string;
  status: "Accepted" | "PreviouslyAccepted";
  attachable: boolean;
}

/** A workflow's result, if ready. */
export interface Output<T> {
  ready: boolean;
  result: T;
}

type InputOf<F> = F extends (ctx: any) => any ? void : F extends (ctx: any, input: infer I) => any ? I : never;
type OutputOf<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;

export type IngressClient<D extends DefinitionLike> = {
  [H in keyof D["handlers"]]: (input: InputOf<D["handlers"][H]>, opts?: IngressCallOptions) => Promise<OutputOf<D["handlers"][H]>>;
};
export type IngressSendClient<D extends DefinitionLike> = {
  [H in keyof D["handlers"]]: (input: InputOf<D["handlers"][H]>, opts?: IngressSendOptions) => Promise<Send>;
};
export type IngressWorkflowClient<D extends DefinitionLike> = IngressClient<D> & {
  workflowSubmit(input: InputOf<D["handlers"]["run"]>, opts?: IngressSendOptions): Promise<Send>;
  workflowAttach(opts?: WaitOptions): Promise<OutputOf<D["handlers"]["run"]>>;
  workflowOutput(opts?: WaitOptions): Promise<Output<OutputOf<D["handlers"]["run"]>>>;
};

/**
 * Connects to a Resolute (or Restate) ingress.
 * @example
 * const ingress = connect({ url: "http://127.0.0.1:8787" });
 * const count = await ingress.objectClient(counter, "a").add(1);
 * const sent = await ingress.objectSendClient(counter, "a").add(1, { delay: { minutes: 5 } });
 * // Without importing the handlers' code: the definition's type and its name.
 * const greeting = await ingress.serviceClient<typeof greeter>({ name: "greeter" }).greet("Ada");
 */
export function connect(options: ConnectOptions) {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const retryPolicy = resolveClientRetry(options.retry);

  /** One HTTP exchange: the answer's bytes, or HttpCallError for a non-2xx (with its retry-after). */
  async function once(method: string, path: string, body: Uint8Array | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<Uint8Array> {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: { ...options.headers, ...headers },
      ...(body ? { body } : {}),
      ...(signal ? { signal } : {}),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) throw new HttpCallError(response.status, new TextDecoder().decode(bytes), response.headers);
    return bytes;
  }

  async function request(method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}, extra: RequestExtras = {}): Promise<Uint8Array> {
    const signal = signalOf(extra);
    if (!retryPolicy || !extra.retryable) return once(method, path, body, headers, signal);
    return withRetries(retryPolicy, signal, (attempt) => once(method, path, body, attempt === 0 ? headers : { ...headers, [RETRY_ATTEMPT_HEADER]: String(attempt) }, signal));
  }

  const pathOf = (service: string, key: string | undefined, handler: string) =>
    key === undefined ? `/${encodeURIComponent(service)}/${encodeURIComponent(handler)}` : `/${encodeURIComponent(service)}/${encodeURIComponent(key)}/${encodeURIComponent(handler)}`;

  /** POSTs a handler's input; an idempotency key (or `alwaysRetryable`) makes it safe to retry. */
  function post(path: string, input: unknown, opts: IngressCallOptions | IngressSendOptions | undefined, alwaysRetryable = false): Promise<Uint8Array> {
    const inputSerde: Serde<unknown> = opts?.input ?? serdes.json;
    const headers = withLimitKey({ "content-type": inputSerde.contentType ?? "application/json", ...opts?.headers, ...(opts?.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {}) }, opts?.limitKey);
    return request("POST", path, inputSerde.serialize(input), headers, { ...extrasOf(opts), retryable: alwaysRetryable || Boolean(opts?.idempotencyKey) });
  }

  async function call(service: string, key: string | undefined, handler: string, input: unknown, opts?: IngressCallOptions): Promise<unknown> {
    const bytes = await post(pathOf(service, key, handler), input, opts);
    return (opts?.output ?? serdes.json).deserialize(bytes);
  }

  async function send(service: string, key: string | undefined, handler: string, input: unknown, opts?: IngressSendOptions, alwaysRetryable = false): Promise<Send> {
    const delay = opts?.delay === undefined ? "" : `?delay=${durationToMs(opts.delay)}ms`;
    const bytes = await post(`${pathOf(service, key, handler)}/send${delay}`, input, opts, alwaysRetryable);
    const receipt = JSON.parse(new TextDecoder().decode(bytes)) as { invocationId: string; status: Send["status"] };
    return { ...receipt, attachable: Boolean(opts?.idempotencyKey) };
  }

  const proxy = <T>(make: (handler: string) => unknown): T =>
    new Proxy({}, { get: (_t, handler) => (typeof handler === "string" ? make(handler) : undefined) }) as T;

  return {
    serviceClient: <D extends DefinitionLike>(def: D | DefinitionRef<D>) =>
      proxy<IngressClient<D>>((h) => (input: unknown, opts?: IngressCallOptions) => call(def.name, undefined, h, input, opts)),
    objectClient: <D extends DefinitionLike>(def: D | DefinitionRef<D>, key: string) =>
      proxy<IngressClient<D>>((h) => (input: unknown, opts?: IngressCallOptions) => call(def.name, key, h, input, opts)),
    serviceSendClient: <D extends DefinitionLike>(def: D | DefinitionRef<D>) =>
      proxy<IngressSendClient<D>>((h) => (input: unknown, opts?: IngressSendOptions) => send(def.name, undefined, h, input, opts)),
    objectSendClient: <D extends DefinitionLike>(def: D | DefinitionRef<D>, key: string) =>
      proxy<IngressSendClient<D>>((h) => (input: unknown, opts?: IngressSendOptions) => send(def.name, key, h, input, opts)),
    workflowClient: <D extends DefinitionLike>(def: D | DefinitionRef<D>, id: string) => {
      const wfPath = `/restate/workflow/${encodeURIComponent(def.name)}/${encodeURIComponent(id)}`;
      // A workflow id makes `run` at most once: submitting, attaching and reading its output are safe to repeat.
      const special: Record<string, unknown> = {
        workflowSubmit: (input: unknown, opts?: IngressSendOptions) => send(def.name, id, "run", input, opts, true).then((s) => ({ ...s, attachable: true })),
        workflowAttach: async (opts?: WaitOptions) => serdes.json.deserialize(await request("GET", `${wfPath}/attach`, undefined, {}, { ...extrasOf(opts), retryable: true })),
        workflowOutput: async (opts?: WaitOptions) => output(() => request("GET", `${wfPath}/output`, undefined, {}, { ...extrasOf(opts), retryable: true })),
      };
      return proxy<IngressWorkflowClient<D>>((h) => special[h] ?? ((input: unknown, opts?: IngressCallOptions) => call(def.name, id, h, input, opts)));
    },
    /**
     * A call by names.
     * @example
     * const count = await ingress.call<number, number>({ service: "counter", key: "a", handler: "add", parameter: 1 });
     */
    call: <I = unknown, O = unknown>(c: GenericIngressCall<I> & { opts?: IngressCallOptions }): Promise<O> =>
      call(c.service, c.key, c.handler, c.parameter, c.opts) as Promise<O>,
    /**
     * A one-way send by names.
     * @example
     * await ingress.send({ service: "mailer", handler: "notify", parameter: { to: "a@b.c" }, opts: { delay: { minutes: 5 } } });
     */
    send: <I = unknown>(c: GenericIngressCall<I> & { opts?: IngressSendOptions }): Promise<Send> => send(c.service, c.key, c.handler, c.parameter, c.opts),
    /** Waits for the result of an invocation started with a send. */
    result: async <T = unknown>(sent: Send | { invocationId: string }, serde?: Serde<T>): Promise<T> =>
      (serde ?? serdes.json).deserialize(await request("GET", `/restate/invocation/${encodeURIComponent(sent.invocationId)}/attach`, undefined, {}, { retryable: true })),
    resolveAwakeable: async <T>(id: string, payload?: T, serde?: Serde<T>): Promise<void> => {
      await request("POST", `/restate/a/${encodeURIComponent(id)}/resolve`, (serde ?? serdes.json).serialize(payload as T), { "content-type": "application/json" });
    },
    rejectAwakeable: async (id: string, reason: string): Promise<void> => {
      await request("POST", `/restate/a/${encodeURIComponent(id)}/reject`, new TextEncoder().encode(reason), { "content-type": "text/plain" });
    },
  };
}

/** What `connect` returns: clients for services, objects and workflows, calls by name, awakeable completion. */
export type Ingress = ReturnType<typeof connect>;

async function output(fetchOutput: () => Promise<Uint8Array>): Promise<Output<unknown>> {
  try {
    return { ready: true, result: serdes.json.deserialize(await fetchOutput()) };
  } catch (e) {
    if (e instanceof HttpCallError && e.status === 470) {
      return {
        ready: false,
        get result(): never {
          throw new Error("the workflow has not completed yet");
        },
      };
    }
    throw e;
  }
}

/** Tells the server which retry of a request this is (Restate's client sends it too). */
const RETRY_ATTEMPT_HEADER = "x-restateclient-retry-attempt";

/** A deadline or an abort signal for one request (attach, output, and every call and send). */
export interface WaitOptions {
  /** Abort the request after this many milliseconds (not together with `signal`). */
  timeout?: number;
  signal?: AbortSignal;
}

interface RequestExtras extends WaitOptions {
  /** Repeating the request cannot run anything twice. */
  retryable?: boolean;
}

function extrasOf(opts: WaitOptions | undefined): WaitOptions {
  return { ...(opts?.timeout !== undefined ? { timeout: opts.timeout } : {}), ...(opts?.signal ? { signal: opts.signal } : {}) };
}

function signalOf(extra: WaitOptions): AbortSignal | undefined {
  if (extra.timeout !== undefined && extra.signal) throw new TypeError("Pass either `timeout` or `signal`, not both");
  return extra.timeout !== undefined ? AbortSignal.timeout(extra.timeout) : extra.signal;
}

interface ResolvedClientRetry {
  maxAttempts: number;
  maxDurationMs: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  factor: number;
  respectRetryAfter: boolean;
}

function resolveClientRetry(retry: ConnectOptions["retry"]): ResolvedClientRetry | undefined {
  if (!retry) return undefined;
  const policy = retry === true ? {} : retry;
  const bound = (value: Duration | number | false | undefined, fallback: number) => (value === false ? Infinity : value === undefined ? fallback : durationToMs(value));
  return {
    maxAttempts: bound(policy.maxAttempts, 6),
    maxDurationMs: bound(policy.maxDuration, 60_000),
    initialIntervalMs: bound(policy.initialInterval, 250),
    maxIntervalMs: bound(policy.maxInterval, 3_000),
    factor: policy.exponentiationFactor ?? 2,
    respectRetryAfter: policy.respectRetryAfter ?? true,
  };
}

/** Runs `attempt(0)`, `attempt(1)`... until one succeeds, the error is not worth a retry, or the policy runs out. */
async function withRetries<T>(policy: ResolvedClientRetry, signal: AbortSignal | undefined, attempt: (n: number) => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const wait = retryDelay(policy, n, error);
      const outOfTime = Date.now() + (wait ?? 0) - started > policy.maxDurationMs;
      if (wait === undefined || n + 1 >= policy.maxAttempts || outOfTime || signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** How long to wait before retrying after `error` (attempt `n` failed); undefined when it must not be retried. */
function retryDelay(policy: ResolvedClientRetry, n: number, error: unknown): number | undefined {
  if (error instanceof HttpCallError) {
    const transient = error.status === 408 || error.status === 425 || error.status === 429 || error.status >= 500;
    if (!transient || error.headers?.get("x-restate-error-source") === "invocation") return undefined;
    const after = Number(error.headers?.get("retry-after"));
    if (policy.respectRetryAfter && error.headers?.has("retry-after") && Number.isFinite(after) && after >= 0) return after * 1000;
  } else if (!(error instanceof TypeError) || isAbort(error)) {
    return undefined; // fetch fails with a TypeError on network errors; anything else is ours or the caller's
  }
  const base = Math.min(policy.initialIntervalMs * policy.factor ** n, policy.maxIntervalMs);
  return base * (0.8 + Math.random() * 0.4); // ±20 % jitter
}

function isAbort(error: unknown): boolean {
  return (error as { name?: string }).name === "AbortError" || (error as { name?: string }).name === "TimeoutError";
}
