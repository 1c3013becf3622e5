/**
 * Resolute's typed HTTP client for the ingress, shaped like Restate's
 * `@restatedev/restate-sdk-clients`: calls, sends, delayed sends, idempotent
 * calls, attach, workflow submit/attach/output and awakeable completion.
 */
import type { CallOptions, SendOptions } from "./context.js";
import type { DefinitionLike } from "./client-types.js";
import { durationToMs } from "./duration.js";
import { serde as serdes, type Serde } from "./serde.js";

/** A non-2xx answer from the ingress. */
export class HttpCallError extends Error {
  constructor(
    readonly status: number,
    readonly responseText: string,
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
  [H in keyof D["handlers"]]: (input: InputOf<D["handlers"][H]>, opts?: CallOptions) => Promise<OutputOf<D["handlers"][H]>>;
};
export type IngressSendClient<D extends DefinitionLike> = {
  [H in keyof D["handlers"]]: (input: InputOf<D["handlers"][H]>, opts?: SendOptions) => Promise<Send>;
};
export type IngressWorkflowClient<D extends DefinitionLike> = IngressClient<D> & {
  workflowSubmit(input: InputOf<D["handlers"]["run"]>, opts?: SendOptions): Promise<Send>;
  workflowAttach(): Promise<OutputOf<D["handlers"]["run"]>>;
  workflowOutput(): Promise<Output<OutputOf<D["handlers"]["run"]>>>;
};

/**
 * Connects to a Resolute (or Restate) ingress.
 * @example
 * const ingress = connect({ url: "http://127.0.0.1:8787" });
 * const count = await ingress.objectClient(counter, "a").add(1);
 * const sent = await ingress.objectSendClient(counter, "a").add(1, { delay: { minutes: 5 } });
 */
export function connect(options: ConnectOptions) {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;

  async function request(method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<Uint8Array> {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: { ...options.headers, ...headers },
      ...(body ? { body } : {}),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) throw new HttpCallError(response.status, new TextDecoder().decode(bytes));
    return bytes;
  }

  const pathOf = (service: string, key: string | undefined, handler: string) =>
    key === undefined ? `/${encodeURIComponent(service)}/${encodeURIComponent(handler)}` : `/${encodeURIComponent(service)}/${encodeURIComponent(key)}/${encodeURIComponent(handler)}`;

  async function call(service: string, key: string | undefined, handler: string, input: unknown, opts?: CallOptions): Promise<unknown> {
    const inputSerde: Serde<unknown> = opts?.input ?? serdes.json;
    const headers = { "content-type": inputSerde.contentType ?? "application/json", ...opts?.headers, ...(opts?.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {}) };
    const bytes = await request("POST", pathOf(service, key, handler), inputSerde.serialize(input), headers);
    return (opts?.output ?? serdes.json).deserialize(bytes);
  }

  async function send(service: string, key: string | undefined, handler: string, input: unknown, opts?: SendOptions): Promise<Send> {
    const inputSerde: Serde<unknown> = opts?.input ?? serdes.json;
    const delay = opts?.delay === undefined ? "" : `?delay=${durationToMs(opts.delay)}ms`;
    const headers = { "content-type": inputSerde.contentType ?? "application/json", ...opts?.headers, ...(opts?.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {}) };
    const bytes = await request("POST", `${pathOf(service, key, handler)}/send${delay}`, inputSerde.serialize(input), headers);
    const receipt = JSON.parse(new TextDecoder().decode(bytes)) as { invocationId: string; status: Send["status"] };
    return { ...receipt, attachable: Boolean(opts?.idempotencyKey) };
  }

  const proxy = <T>(make: (handler: string) => unknown): T =>
    new Proxy({}, { get: (_t, handler) => (typeof handler === "string" ? make(handler) : undefined) }) as T;

  return {
    serviceClient: <D extends DefinitionLike>(def: D) =>
      proxy<IngressClient<D>>((h) => (input: unknown, opts?: CallOptions) => call(def.name, undefined, h, input, opts)),
    objectClient: <D extends DefinitionLike>(def: D, key: string) =>
      proxy<IngressClient<D>>((h) => (input: unknown, opts?: CallOptions) => call(def.name, key, h, input, opts)),
    serviceSendClient: <D extends DefinitionLike>(def: D) =>
      proxy<IngressSendClient<D>>((h) => (input: unknown, opts?: SendOptions) => send(def.name, undefined, h, input, opts)),
    objectSendClient: <D extends DefinitionLike>(def: D, key: string) =>
      proxy<IngressSendClient<D>>((h) => (input: unknown, opts?: SendOptions) => send(def.name, key, h, input, opts)),
    workflowClient: <D extends DefinitionLike>(def: D, id: string) => {
      const wfPath = `/restate/workflow/${encodeURIComponent(def.name)}/${encodeURIComponent(id)}`;
      const special: Record<string, unknown> = {
        workflowSubmit: (input: unknown, opts?: SendOptions) => send(def.name, id, "run", input, opts).then((s) => ({ ...s, attachable: true })),
        workflowAttach: async () => serdes.json.deserialize(await request("GET", `${wfPath}/attach`)),
        workflowOutput: async () => output(() => request("GET", `${wfPath}/output`)),
      };
      return proxy<IngressWorkflowClient<D>>((h) => special[h] ?? ((input: unknown, opts?: CallOptions) => call(def.name, id, h, input, opts)));
    },
    /** Waits for the result of an invocation started with a send. */
    result: async <T = unknown>(sent: Send | { invocationId: string }, serde?: Serde<T>): Promise<T> =>
      (serde ?? serdes.json).deserialize(await request("GET", `/restate/invocation/${encodeURIComponent(sent.invocationId)}/attach`)),
    resolveAwakeable: async <T>(id: string, payload?: T, serde?: Serde<T>): Promise<void> => {
      await request("POST", `/restate/a/${encodeURIComponent(id)}/resolve`, (serde ?? serdes.json).serialize(payload as T), { "content-type": "application/json" });
    },
    rejectAwakeable: async (id: string, reason: string): Promise<void> => {
      await request("POST", `/restate/a/${encodeURIComponent(id)}/reject`, new TextEncoder().encode(reason), { "content-type": "text/plain" });
    },
  };
}

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
