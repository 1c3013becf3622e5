/**
 * Resolute's services and its one deployment in the JSON shapes of Restate's
 * admin API (`GET /services`, `/services/{name}`, `/deployments`), which
 * Restate's CLI and UI read. Pure: registry in, plain objects out.
 */
import type { HandlerSpec, Registry, ServiceSpec } from "../engine/registry.js";
import type { ResolvedRetryPolicy } from "../engine/retry.js";
import { limitsJson } from "./limit-bodies.js";

/** The one deployment: this Worker (a Restate deployment id is `dp_` + 23 base62 digits). */
export const DEPLOYMENT_ID = "dp_10000000000000resolute0";
/** What Restate's CLI is told it talks to (it accepts admin API versions 1 to 4 from 1.7). */
export const ADMIN_API_VERSIONS = { min: 1, max: 4 } as const;
const SDK_VERSION = "resolute/0.1.0";

const SERVICE_TY = { service: "Service", object: "VirtualObject", workflow: "Workflow" } as const;
const HANDLER_TY = { exclusive: "Exclusive", shared: "Shared", workflow: "Workflow" } as const;

export function serviceView(spec: ServiceSpec): Record<string, unknown> {
  const handlers = [...spec.handlers.values()];
  const first = handlers[0];
  return {
    name: spec.name,
    ty: SERVICE_TY[spec.kind],
    handlers: handlers.map(handlerView),
    deployment_id: DEPLOYMENT_ID,
    revision: 1,
    public: handlers.some((h) => !h.ingressPrivate),
    idempotency_retention: friendly(first?.idempotencyRetentionMs ?? 86_400_000),
    journal_retention: friendly(first?.journalRetentionMs ?? 86_400_000),
    ...(spec.kind === "workflow" ? { workflow_completion_retention: friendly(first?.workflowRetentionMs ?? 86_400_000) } : {}),
    enable_lazy_state: false,
    ...(first ? { retry_policy: retryView(first.retry) } : {}),
    ...described(spec),
  };
}

export function handlerView(h: HandlerSpec): Record<string, unknown> {
  const ty = h.kind === "service" ? undefined : HANDLER_TY[h.kind];
  return {
    name: h.name,
    ...(ty ? { ty } : {}),
    public: !h.ingressPrivate,
    input_description: h.input.contentType ?? "application/json",
    output_description: h.output.contentType ?? "application/json",
    retry_policy: retryView(h.retry),
    journal_retention: friendly(h.journalRetentionMs),
    idempotency_retention: friendly(h.idempotencyRetentionMs),
    // Resolute's own field (issue 15): the concurrency and rate limit the handler waits for.
    ...(h.limit ? { limit: { scope: h.limit.scope, ...limitsJson(h.limit.limits) } } : {}),
    ...described(h),
  };
}

export function deploymentView(registry: Registry, endpoint: string, createdAt: string, withServices: "names" | "full"): Record<string, unknown> {
  const services = registry.serviceNames().map((name) => (withServices === "names" ? { name, revision: 1 } : serviceView(registry.service(name)!)));
  return {
    id: DEPLOYMENT_ID,
    uri: endpoint,
    protocol_type: "RequestResponse",
    http_version: "HTTP/1.1",
    created_at: createdAt,
    min_protocol_version: 5,
    max_protocol_version: 5,
    sdk_version: SDK_VERSION,
    services,
  };
}

function retryView(p: ResolvedRetryPolicy): Record<string, unknown> {
  return {
    initial_interval: friendly(p.initialIntervalMs),
    exponentiation_factor: p.factor,
    max_attempts: p.maxAttempts,
    max_interval: friendly(p.maxIntervalMs),
    on_max_attempts: p.onMaxAttempts === "kill" ? "Kill" : "Pause",
  };
}

/** The optional documentation fields, under Restate's admin names. */
function described(spec: { description?: string; metadata?: Record<string, string> }): Record<string, unknown> {
  return { ...(spec.description !== undefined ? { documentation: spec.description } : {}), ...(spec.metadata ? { metadata: spec.metadata } : {}) };
}

/** A duration the way Restate writes it (jiff's friendly format): "1d", "1h 30m", "500ms". */
function friendly(ms: number): string {
  if (ms === 0) return "0s";
  const units: [string, number][] = [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000], ["ms", 1]];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(" ");
}
