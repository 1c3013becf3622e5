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
export const NAMES = { counter: "chaosCounter", relay: "chaosRelay", sleeper: "chaosSleeper", flow: "chaosFlow", limited: "chaosLimited" } as const;
/** `chaosLimited`'s concurrency limit (per limit key): the recorder checks it is never exceeded (issue 15). */
export const LIMITED_CONCURRENCY = 5;
/** The limit keys of limited sends ("" is no key): each has its own budget. */
export const LIMIT_KEYS = ["", "tenant-a", "tenant-b"] as const;
/**
 * Headers of a recorded effect that stays open for `ms` (so overlaps show) and counts
 * against a concurrency group: the recorder keeps the most seen in flight at once.
 */
export const HOLD_HEADER = "x-chaos-hold-ms";
export const GROUP_HEADER = "x-chaos-group";
/**
 * How long a limited step's effect stays open: long enough that the burst (1,000 sends, 5 at
 * once on each of 3 keys) lasts several seconds, so the first kill lands in the middle of it.
 */
export const LIMITED_HOLD_MS = 200;
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
