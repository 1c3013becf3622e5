/**
 * Turns user definitions into a lookup table of handlers with their effective
 * options (handler options over service options over defaults). Pure.
 */
import { durationToMs } from "../../sdk/duration.js";
import { described, handlerMeta, type Definition, type Described, type HandlerKind, type HandlerOptions, type HooksProvider } from "../../sdk/define.js";
import { serde as serdes, type Serde } from "../../sdk/serde.js";
import type { TerminalError } from "../../sdk/errors.js";
import { declaredLimits, type Limits } from "../../sdk/flow-control.js";
import { resolveRetryPolicy, type ResolvedRetryPolicy } from "./retry.js";

export const DAY_MS = 86_400_000;

export interface HandlerSpec extends Described {
  service: string;
  name: string;
  serviceKind: Definition["kind"];
  kind: HandlerKind;
  fn: (ctx: any, input: any) => unknown;
  input: Serde<any>;
  output: Serde<any>;
  /** The handler's `accept` option: the content types its input may have (ingress checks it). */
  accept?: string;
  retry: ResolvedRetryPolicy;
  ingressPrivate: boolean;
  idempotencyRetentionMs: number;
  journalRetentionMs: number;
  workflowRetentionMs: number;
  onJournalMismatch: "retry" | "pause" | "fail";
  /** The service's hook providers, then the handler's. */
  hooks: HooksProvider[];
  /** Handler's, else the service's `asTerminalError`. */
  asTerminalError?: (error: unknown) => TerminalError | undefined;
  /** Its concurrency and rate limits, absent when it has none (see DeclaredLimit). */
  limit?: DeclaredLimit;
}

/**
 * The limits an invocation of a handler waits for: the handler's own (`scope`
 * `service/handler`) when it declares any, else its service's (`scope` `service`,
 * one budget shared by the service's handlers). Each limit key has its own budget.
 */
export interface DeclaredLimit {
  scope: string;
  limits: Limits;
}

export interface ServiceSpec extends Described {
  name: string;
  kind: Definition["kind"];
  handlers: Map<string, HandlerSpec>;
}

export class Registry {
  readonly #services = new Map<string, ServiceSpec>();

  constructor(definitions: readonly Definition[]) {
    for (const def of definitions) {
      if (this.#services.has(def.name)) throw new TypeError(`Service '${def.name}' is defined twice`);
      this.#services.set(def.name, specOf(def));
    }
  }

  service(name: string): ServiceSpec | undefined {
    return this.#services.get(name);
  }

  handler(service: string, handler: string): HandlerSpec | undefined {
    return this.#services.get(service)?.handlers.get(handler);
  }

  serviceNames(): string[] {
    return [...this.#services.keys()];
  }

  /** Every declared limit, by scope (`service` or `service/handler`), in definition order. */
  limitScopes(): Map<string, { limits: Limits; handlers: HandlerSpec[] }> {
    const scopes = new Map<string, { limits: Limits; handlers: HandlerSpec[] }>();
    for (const service of this.#services.values()) {
      for (const handler of service.handlers.values()) {
        if (!handler.limit) continue;
        const entry = scopes.get(handler.limit.scope) ?? { limits: handler.limit.limits, handlers: [] };
        entry.handlers.push(handler);
        scopes.set(handler.limit.scope, entry);
      }
    }
    return scopes;
  }
}

function specOf(def: Definition): ServiceSpec {
  const handlers = new Map<string, HandlerSpec>();
  for (const [name, fn] of Object.entries(def.handlers)) {
    const meta = handlerMeta(fn);
    const merged: HandlerOptions = { ...def.options, ...meta.options };
    handlers.set(name, {
      service: def.name,
      name,
      serviceKind: def.kind,
      kind: meta.kind ?? defaultKind(def.kind, name),
      fn,
      input: merged.input ?? merged.serde ?? serdes.json,
      output: merged.output ?? merged.serde ?? serdes.json,
      retry: resolveRetryPolicy(meta.options.retryPolicy, def.options.retryPolicy),
      ingressPrivate: merged.ingressPrivate ?? false,
      idempotencyRetentionMs: retention(merged.idempotencyRetention),
      journalRetentionMs: retention(merged.journalRetention),
      workflowRetentionMs: retention(def.kind === "workflow" ? def.options.workflowRetention : undefined),
      onJournalMismatch: merged.onJournalMismatchErrors ?? "retry",
      hooks: [...(def.options.hooks ?? []), ...(meta.options.hooks ?? [])],
      ...(merged.asTerminalError ? { asTerminalError: merged.asTerminalError } : {}),
      ...(meta.options.accept !== undefined ? { accept: meta.options.accept } : {}),
      ...limitOf(def, name, meta.options),
      ...described(meta.options),
    });
  }
  return { name: def.name, kind: def.kind, handlers, ...described(def) };
}

function limitOf(def: Definition, handler: string, own: HandlerOptions): { limit?: DeclaredLimit } {
  const mine = declaredLimits(own, `'${def.name}.${handler}'`);
  if (mine) return { limit: { scope: `${def.name}/${handler}`, limits: mine } };
  const service = declaredLimits(def.options, `'${def.name}'`);
  return service ? { limit: { scope: def.name, limits: service } } : {};
}

function defaultKind(kind: Definition["kind"], handler: string): HandlerKind {
  if (kind === "service") return "service";
  if (kind === "object") return "exclusive";
  return handler === "run" ? "workflow" : "shared";
}

function retention(value: HandlerOptions["journalRetention"]): number {
  return value === undefined ? DAY_MS : durationToMs(value);
}

/** How long a completed invocation is kept after it completed: unknown handlers' a minute (their 404 answers a retried request). */
export function retentionMs(spec: HandlerSpec | undefined, idempotent: boolean): number {
  if (!spec) return 60_000;
  if (spec.kind === "workflow") return spec.workflowRetentionMs;
  return idempotent ? Math.max(spec.idempotencyRetentionMs, spec.journalRetentionMs) : spec.journalRetentionMs;
}
