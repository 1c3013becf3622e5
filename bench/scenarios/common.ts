/**
 * Helpers every workload uses: warming up, turning a load result into a measurement.
 */
import { closedLoop, percentile, type Call, type LoadResult } from "../harness/load.js";
import type { Measurement, RunContext } from "../harness/types.js";

export function measurement(
  value: number,
  note: string,
  load: LoadResult,
  problems: string[],
  details: Record<string, number | string>,
): Measurement {
  return { value, note, details, errors: load.errors, errorKinds: load.errorKinds, proxyDrops: load.proxyDrops, problems };
}

/** Headline p50 latency, p99 beside it. */
export function latencyMeasurement(load: LoadResult, problems: string[], details: Record<string, number | string> = {}): Measurement {
  const p50 = percentile(load.latenciesMs, 50);
  const p99 = percentile(load.latenciesMs, 99);
  return measurement(p50, `p99 ${p99.toFixed(2)} ms`, load, problems, { calls: load.ok + load.errors, ...details, p50Ms: p50, p99Ms: p99 });
}

/** Headline: acknowledged calls per second (or `completed` of them); per-call latency beside it. */
export function throughputMeasurement(
  load: LoadResult,
  problems: string[],
  details: Record<string, number | string> = {},
  completed = load.ok,
): Measurement {
  const seconds = load.elapsedMs / 1000;
  const p50 = percentile(load.latenciesMs, 50);
  const p99 = percentile(load.latenciesMs, 99);
  return measurement(completed / seconds, `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`, load, problems, {
    calls: load.ok + load.errors,
    ...details,
    seconds,
    p50Ms: p50,
    p99Ms: p99,
  });
}

/** A sorted list, shortened to its ends. */
export function describe(sorted: readonly unknown[]): string {
  const shown = sorted.length <= 8 ? sorted : [...sorted.slice(0, 4), "...", ...sorted.slice(-3)];
  return `[${shown.map((a) => JSON.stringify(a)).join(", ")}]`;
}

/**
 * A short closed loop (16 clients, 2 s; 1 s with --quick) that warms the JIT,
 * the connections and `keys` objects; fails only when every call failed.
 */
export async function warmUpLoop(ctx: RunContext, call: Call, keyOf: (i: number) => string, maxCalls = 50_000): Promise<void> {
  const load = await closedLoop({ origin: ctx.origin, concurrency: 16, durationMs: ctx.quick ? 1_000 : 2_000, maxCalls, keyOf, call });
  if (load.ok === 0) throw new Error(`every warm-up call failed: ${JSON.stringify(load.errorKinds)}`);
  if (load.errors + load.proxyDrops > 0) {
    ctx.log(`  warm-up: ${load.errors} errors ${JSON.stringify(load.errorKinds)}, ${load.proxyDrops} proxy drops`);
  }
}
