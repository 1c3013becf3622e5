/**
 * The package's main entry (`resolute`): createWorker plus every SDK name, so a
 * Worker needs one import. Users export both parts of what createWorker builds
 * (the router Worker and the Durable Object class) from their Worker entry.
 */
import { buildWorker, type ResoluteWorker, type WorkerConfig } from "./worker.js";

/**
 * Builds Resolute for your services.
 * @example
 * const resolute = createWorker({ services: [counter, greeter] });
 * export default { fetch: resolute.fetch };
 * export const ResoluteObject = resolute.ResoluteObject;
 */
export function createWorker(config: WorkerConfig): ResoluteWorker {
  return buildWorker(config);
}

export { DEFAULT_INDEX_SHARDS, DEFAULT_MAX_BODY_BYTES, DEFAULT_SERVICE_SHARDS, type ResoluteObjectClass, type ResoluteWorker, type WorkerConfig } from "./worker.js";
export type { ResoluteEnv, CorsOptions, Schedule, TracingEnv, TracingOptions } from "./worker.js";
export { DEFAULT_WORKFLOW_SHARDS } from "./engine/addressing.js";
export * from "../sdk/index.js";
