/**
 * The shapes a workload plugs into the runner with: targets (the systems being
 * compared), scenarios (what is measured on each), and the measurements.
 */
import type { Call, Http } from "./load.js";

/** One system under test for one workload. */
export interface Target {
  /** "resolute", "floor", "cf-workflows"...; what `--only` matches and the table shows. */
  readonly system: string;
  /** Resolves true once this system answers; polled while wrangler starts. */
  isReady(http: Http): Promise<boolean>;
  /** The workload's call; resolves with the answer, throws on a non-200. */
  readonly call: Call;
  /**
   * Touches the long-lived objects this target's scenarios share, right before
   * each measurement: the eviction pauses (see EVICTION_GAP_MS) leave them cold,
   * which a system under steady traffic never is.
   */
  prime?(ctx: RunContext): Promise<void>;
}

export interface RunContext {
  /** The Worker's origin, e.g. http://127.0.0.1:41234: wrangler dev's reload proxy (unless --direct). */
  readonly origin: string;
  /**
   * The Worker's own workerd, past the proxy (a second workerd and an HTTP hop that add
   * ~2.5 ms to every request): for scenarios that compare engines rather than dev tooling.
   * With --url, the given origin.
   */
  readonly directOrigin: string;
  /** Smaller counts and shorter runs, for iteration. */
  readonly quick: boolean;
  /** Unique per session (one fresh server per workload and round): prefix keys with it. */
  readonly runId: string;
  log(message: string): void;
}

export interface Measurement {
  /** The headline figure, compared against the baseline's. */
  value: number;
  /** A short companion to the headline, e.g. "p99 4.1 ms". */
  note: string;
  /** Everything else worth keeping in the results file. */
  details: Record<string, number | string>;
  errors: number;
  errorKinds: Record<string, number>;
  /** Calls wrangler dev's proxy dropped; not the system's fault, but they cost time. */
  proxyDrops: number;
  /** Wrong answers or final state; empty when the system was correct. */
  problems: string[];
  /** What each call cost the system's processes (filled in by the runner; Linux only). */
  usage?: CallCost;
}

/** Per call: CPU milliseconds by process role ("workerd", "restate-server", "client"...), bytes the system wrote. */
export interface CallCost {
  cpuMs: Record<string, number>;
  writeBytes: number;
}

/** How the benchmark Worker is served: through `wrangler dev` (and its reload proxy), or by Miniflare directly. */
export type ServeMode = "wrangler" | "miniflare";
export const SERVE_MODES: readonly ServeMode[] = ["wrangler", "miniflare"];

/** Other engines Resolute is compared with when `--peer` names them; each runs its own server. */
export type PeerName = "restate";
export const PEERS: readonly PeerName[] = ["restate"];

export interface Scenario<T extends Target = Target> {
  readonly id: string;
  readonly title: string;
  readonly unit: "ms" | "req/s" | "workflows/s";
  readonly better: "lower" | "higher";
  /** The goal on subject ÷ baseline: ≤ goal when lower is better, ≥ goal otherwise. */
  readonly goalRatio?: number;
  /** It touches many objects: the next run waits until workerd has evicted them (see EVICTION_GAP_MS). */
  readonly touchesManyObjects?: boolean;
  run(target: T, ctx: RunContext): Promise<Measurement>;
}

export interface Workload<T extends Target = Target> {
  /** Short id, used in the results file name ("w3"). */
  readonly id: string;
  readonly title: string;
  /** Resolute. */
  readonly subject: T;
  /** What Resolute is compared against. */
  readonly baseline: T;
  /** The same workload on another engine (Restate), measured when `--peer` names it; `origin` is then its server. */
  readonly peers?: Partial<Record<PeerName, T>>;
  /** Runs once per session before the warm-ups: objects every target's scenarios share. */
  prepare?(ctx: RunContext): Promise<void>;
  /** Runs once per target and session before the scenarios (JIT, connections, object creation). */
  warmUp(target: T, ctx: RunContext): Promise<void>;
  readonly scenarios: readonly Scenario<T>[];
}
