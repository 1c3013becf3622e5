/**
 * Wiring only: builds the router Worker and the Durable Object class for a set
 * of service definitions (createWorker, in index.ts, is the package's name for it).
 */
import type { DurableObject } from "cloudflare:workers";
import type { Definition } from "../sdk/define.js";
import { DEFAULT_WORKFLOW_SHARDS, targetKindsOf, type TargetKinds } from "./engine/addressing.js";
import { Registry } from "./engine/registry.js";
import { MAX_VALUE_BYTES } from "./engine/limits.js";
import { createObjectClass, type ObjectClass, type ObjectOptions, type ResoluteEnv } from "./durable/object.js";
import { createIngress } from "./ingress/router.js";
import { createAdmin, isAdminPath } from "./ingress/admin-routes.js";
import { splitUrl } from "./ingress/request.js";
import { withCors, type CorsOptions } from "./ingress/cors.js";
import { createScheduler, type Schedule } from "./ingress/schedules.js";
import { checkTracingOptions, type TracingEnv, type TracingOptions } from "./tracing/config.js";

export interface WorkerConfig {
  services: readonly Definition[];
  /** Executor objects stateless-service invocations are spread over (1 to MAX_SHARDS). @default 64 */
  serviceShards?: number;
  /**
   * Objects the ids of each workflow are spread over (0: one object per workflow id).
   * Changing it moves existing workflow ids, so set it before the first deploy.
   * @default 64
   */
  workflowShards?: number;
  /**
   * Shards of the invocation index that `POST /query`, `restate invocations list` and the
   * dashboard read across the deployment (Durable Objects of the same class under reserved
   * names; no binding to add). 0 turns the index off. Changing it later leaves rows in the
   * old shards until they expire. @default 4
   */
  indexShards?: number;
  /** Largest request body accepted at ingress, in bytes; at most MAX_VALUE_BYTES (1 MiB), the largest input an invocation stores. @default 1 MiB */
  maxBodyBytes?: number;
  /** Lets browser pages on these origins call the ingress (never the admin API). @default off */
  cors?: CorsOptions;
  /**
   * Handlers to start on Cloudflare Cron Triggers: list each `cron` under `[triggers] crons`
   * in wrangler.toml too, and export the returned `scheduled`. Each tick starts each matching
   * schedule's handler once (a one-way send keyed by the cron and the tick's time).
   */
  schedules?: readonly Schedule[];
  /**
   * OpenTelemetry tracing: each invocation, attempt, `ctx.run`, sleep, call and send becomes a span,
   * exported as OTLP/HTTP JSON; a `traceparent` arriving at ingress is continued. Without an
   * endpoint here or in the Worker's environment (OTEL_EXPORTER_OTLP_ENDPOINT,
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) tracing is off and costs nothing; `false` keeps it off
   * whatever the environment says.
   * Credentials belong in a secret (`wrangler secret put OTEL_EXPORTER_OTLP_HEADERS`, `api-key=…`), not in code.
   * @example
   * createWorker({ services, tracing: { endpoint: "http://127.0.0.1:4318", serviceName: "shop" } }); // a local collector
   * @default from the environment, else off
   */
  tracing?: TracingOptions | false;
}

/** The Durable Object class to export from the Worker module and bind as `RESOLUTE` in wrangler.toml. */
export type ResoluteObjectClass = new (ctx: DurableObjectState, env: ResoluteEnv) => DurableObject<ResoluteEnv>;

/** What createWorker returns: export `fetch` (and `scheduled` for cron) as the Worker, and `ResoluteObject`. */
export interface ResoluteWorker {
  fetch(request: Request, env: ResoluteEnv, ctx?: ExecutionContext): Promise<Response>;
  /** The Worker's `scheduled` handler (Cron Triggers): starts the matching `schedules`. */
  scheduled(controller: ScheduledController, env: ResoluteEnv, ctx?: ExecutionContext): Promise<void>;
  ResoluteObject: ResoluteObjectClass;
}

export const DEFAULT_SERVICE_SHARDS = 64;
export const DEFAULT_INDEX_SHARDS = 4;
export const DEFAULT_MAX_BODY_BYTES = MAX_VALUE_BYTES;

/**
 * createWorker's work, with options for the Durable Objects (their clock) that only the
 * test fixtures pass: the package's entry exposes createWorker alone.
 */
/** Service and workflow shards: a count in the thousands already spreads any load Durable Objects take. */
export const MAX_SHARDS = 4096;
/**
 * Index shards: a query over the index calls every shard from one request, and Cloudflare
 * allows 50 subrequests per request on Workers Free; 32 leaves room for the id lookups beside it.
 */
export const MAX_INDEX_SHARDS = 32;

/** `value` when it is a whole number in [min, max]; else a TypeError naming the option (a 0 or NaN shard count would address no object, or "NaN"). */
function shardCount(name: string, value: number, min: number, max: number): number {
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  throw new TypeError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
}

export function buildWorker(config: WorkerConfig, objects: ObjectOptions = {}): ResoluteWorker & { ResoluteObject: ObjectClass } {
  const registry = new Registry(config.services);
  const serviceShards = shardCount("serviceShards", config.serviceShards ?? DEFAULT_SERVICE_SHARDS, 1, MAX_SHARDS);
  const workflowShards = shardCount("workflowShards", config.workflowShards ?? DEFAULT_WORKFLOW_SHARDS, 0, MAX_SHARDS);
  const kinds: TargetKinds = targetKindsOf(registry, serviceShards);
  const maxBodyBytes = config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(maxBodyBytes <= MAX_VALUE_BYTES)) throw new TypeError(`maxBodyBytes is ${maxBodyBytes}, over ${MAX_VALUE_BYTES} (MAX_VALUE_BYTES): an invocation stores its input beside its result in one Durable Object SQLite row`);
  const plainIngress = createIngress({ registry, serviceShards, workflowShards, maxBodyBytes });
  const ingress = config.cors ? withCors(config.cors, plainIngress) : plainIngress;
  const indexShards = shardCount("indexShards", config.indexShards ?? DEFAULT_INDEX_SHARDS, 0, MAX_INDEX_SHARDS);
  const admin = createAdmin(registry, kinds, workflowShards, indexShards);
  checkTracingOptions(config.tracing);
  const ResoluteObject = createObjectClass({ registry, kinds, workflowShards, indexShards, ...(config.tracing !== undefined ? { tracing: config.tracing } : {}) }, objects);
  const scheduled = createScheduler(config.schedules ?? [], registry, kinds, workflowShards);
  return {
    fetch(request: Request, env: ResoluteEnv, _ctx?: ExecutionContext): Promise<Response> {
      // Split once: the ingress takes the parts instead of reading and splitting the URL again.
      const url = splitUrl(request.url);
      if (isAdminPath(url.pathname)) return admin(request, env);
      return ingress(request, env, url);
    },
    scheduled(controller: ScheduledController, env: ResoluteEnv, _ctx?: ExecutionContext): Promise<void> {
      return scheduled(controller, env);
    },
    ResoluteObject,
  };
}

export type { ResoluteEnv, CorsOptions, Schedule, TracingEnv, TracingOptions };
