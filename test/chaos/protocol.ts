/**
 * What the chaos fixture Worker (worker.ts, run by workerd) and the chaos runner
 * (Node) agree on. Kept apart from worker.ts, which imports `cloudflare:workers`.
 */

/** Header carrying the workerd process's boot id on each recorded effect. */
export const BOOT_HEADER = "x-chaos-boot";
/** Path prefix of the recorder: `POST /effect/<effect id>`. */
export const EFFECT_PATH = "/effect/";
/** The fixture's admin token (test/chaos/wrangler.toml). */
export const ADMIN_TOKEN = "chaos-token";
/** The fixture's services. */
export const NAMES = { counter: "chaosCounter", relay: "chaosRelay", sleeper: "chaosSleeper", flow: "chaosFlow" } as const;
/** Executor shards of each stateless service (Resolute's default, as users run it). */
export const SERVICE_SHARDS = 64;
/** Name of the workflow's durable promise, resolved by its shared handler `go`. */
export const GO_PROMISE = "go";

export interface AddInput {
  effect: string;
}

export interface RelayInput {
  key: string;
  effect: string;
  /** For `send`: delay the add by this many ms. */
  delayMs?: number;
}

export interface NapInput {
  effect: string;
  ms: number;
}
