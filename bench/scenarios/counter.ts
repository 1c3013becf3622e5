/**
 * W3's `counter.add(n)` as the benchmark calls it, and the checks on its
 * answers, shared by the W3 and duplicates workloads.
 */
import { closedLoop, type Http, type LoadResult } from "../harness/load.js";
import type { RunContext, Target } from "../harness/types.js";
import { describe } from "./common.js";

export interface CounterTarget extends Target {
  add(http: Http, key: string, n: number, headers?: Record<string, string>): Promise<unknown>;
}

export function counterTarget(system: string, path: (key: string) => string, isReady: Target["isReady"]): CounterTarget {
  const add = (http: Http, key: string, n: number, headers?: Record<string, string>) => http.postJson(path(key), n, headers);
  return { system, isReady, add, call: (http, key) => add(http, key, 1) };
}

export const resoluteCounterPath = (key: string) => `/counter/${encodeURIComponent(key)}/add`;
export const isResoluteReady: Target["isReady"] = async (http) => (await http.getStatus("/restate/health")) === 200;

/**
 * Each key's count, read with add(0) by 64 clients; creates the objects that do
 * not exist yet. add(0) changes nothing, so calls the dev proxy dropped are retried.
 */
export async function readCounts(target: CounterTarget, ctx: RunContext, keys: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let round = 0; round < 3 && counts.size < keys.length; round++) {
    const missing = keys.filter((k) => !counts.has(k));
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: Math.min(64, missing.length),
      durationMs: 120_000,
      maxCalls: missing.length,
      keyOf: (i) => missing[i]!,
      call: (http, key) => target.add(http, key, 0),
    });
    if (load.errors > 0) throw new Error(`reading counts failed on ${load.errors} keys: ${JSON.stringify(load.errorKinds)}`);
    for (const { key, answer } of load.samples) {
      if (typeof answer !== "number") throw new Error(`add(0) on ${key} answered ${JSON.stringify(answer)}, not a number`);
      counts.set(key, answer);
    }
  }
  if (counts.size < keys.length) throw new Error(`wrangler dev's proxy kept dropping reads of ${keys.length - counts.size} keys`);
  return counts;
}

/** The answers on each key must be base+1..base+m in some order: no lost or doubled add. */
export function checkAnswers(samples: LoadResult["samples"], bases: Map<string, number>): string[] {
  const byKey = new Map<string, unknown[]>();
  for (const { key, answer } of samples) {
    const answers = byKey.get(key);
    if (answers) answers.push(answer);
    else byKey.set(key, [answer]);
  }
  const problems: string[] = [];
  for (const [key, answers] of byKey) {
    const base = bases.get(key) ?? 0;
    const sorted = [...answers].sort((a, b) => (a as number) - (b as number));
    if (sorted.some((a, i) => a !== base + i + 1)) {
      problems.push(`${key}: from ${base}, ${answers.length} acknowledged adds answered ${describe(sorted)}`);
    }
  }
  return problems;
}

/** Each key's final count must be its base plus `added` (by key). */
export function checkFinalCounts(added: Map<string, number>, bases: Map<string, number>, finals: Map<string, number>): string[] {
  const problems: string[] = [];
  for (const [key, base] of bases) {
    const want = base + (added.get(key) ?? 0);
    const got = finals.get(key)!;
    if (got !== want) {
      const why = got > want ? " (adds applied but not acknowledged, or applied twice?)" : " (acknowledged adds lost!)";
      problems.push(`${key}: final count ${got}, expected ${want}${why}`);
    }
  }
  return problems;
}

/** How many acknowledged samples each key has. */
export function countByKey(samples: LoadResult["samples"]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { key } of samples) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}
