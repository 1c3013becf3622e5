/**
 * W3: virtual object `counter.add(n)` (bench/counter.ts) against the floor
 * (bench/floor.ts), a bare Durable Object writing the same rows in one request.
 *
 * Every scenario checks the answers: on each key, the adds must answer exactly
 * base + 1, base + 2, ... in some order (base: the count before the scenario),
 * and a final `add(0)` must read back base + the number of acknowledged adds.
 */
import { closedLoop, percentile, sequential, type Http, type LoadResult } from "../harness/load.js";
import type { Measurement, RunContext, Scenario, Target, Workload } from "../harness/types.js";

interface CounterTarget extends Target {
  add(http: Http, key: string, n: number): Promise<unknown>;
}

function counterTarget(system: string, path: (key: string) => string, isReady: Target["isReady"]): CounterTarget {
  const add = (http: Http, key: string, n: number) => http.postJson(path(key), n);
  return { system, isReady, add, call: (http, key) => add(http, key, 1) };
}

const resolute = counterTarget(
  "resolute",
  (key) => `/counter/${encodeURIComponent(key)}/add`,
  async (http) => (await http.getStatus("/restate/health")) === 200,
);

const floor = counterTarget(
  "floor",
  (key) => `/floor/${encodeURIComponent(key)}/add`,
  async (http) => (await http.postJson("/floor/ready/add", 0)) === 0,
);

const CLIENTS = 64;
const KEYS = 1_000;
/** w3-fresh creates these objects; w3-spread reuses them, warm. */
const spreadKeys = (ctx: RunContext) => Array.from({ length: KEYS }, (_, i) => `${ctx.runId}-k${i}`);

const sequentialLatency: Scenario<CounterTarget> = {
  id: "w3-sequential",
  title: "W3 sequential latency p50 (1 client, 1 key)",
  unit: "ms",
  better: "lower",
  goalRatio: 1.5,
  async run(target, ctx) {
    const calls = ctx.quick ? 100 : 500;
    const key = `${ctx.runId}-seq`;
    const base = await readCount(target, ctx, key); // also creates the object: first touch is not timed
    const load = await sequential(ctx.origin, key, calls, target.call);
    const wrong = load.samples.findIndex((s, i) => s.answer !== base + i + 1);
    const problems =
      wrong < 0 ? [] : [`${key}: answer #${wrong + 1} was ${JSON.stringify(load.samples[wrong]!.answer)}, expected ${base + wrong + 1}`];
    const p50 = percentile(load.latenciesMs, 50);
    const p99 = percentile(load.latenciesMs, 99);
    return measurement(p50, `p99 ${p99.toFixed(2)} ms`, load, problems, { calls, p50Ms: p50, p99Ms: p99 });
  },
};

const freshKeys: Scenario<CounterTarget> = {
  id: "w3-fresh",
  title: `W3 first touch (${CLIENTS} clients, 1 add on each of ${KEYS.toLocaleString("en")} new keys)`,
  unit: "req/s",
  better: "higher",
  async run(target, ctx) {
    const keys = spreadKeys(ctx);
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: CLIENTS,
      durationMs: 60_000,
      maxCalls: keys.length,
      keyOf: (i) => keys[i]!,
      call: target.call,
    });
    const problems = checkAnswers(load, new Map(keys.map((k) => [k, 0]))).map((p) => `${p} (were the keys not new?)`);
    return summarizeThroughput(load, problems, keys.length);
  },
};

const spreadThroughput: Scenario<CounterTarget> = {
  id: "w3-spread",
  title: `W3 throughput (${CLIENTS} clients, ${KEYS.toLocaleString("en")} keys)`,
  unit: "req/s",
  better: "higher",
  goalRatio: 0.8,
  run(target, ctx) {
    return throughput(target, ctx, spreadKeys(ctx), ctx.quick ? 3_000 : 10_000);
  },
};

const hotKeyThroughput: Scenario<CounterTarget> = {
  id: "w3-hot",
  title: `W3 throughput (${CLIENTS} clients, 1 hot key)`,
  unit: "req/s",
  better: "higher",
  goalRatio: 0.7,
  run(target, ctx) {
    return throughput(target, ctx, [`${ctx.runId}-hot`], ctx.quick ? 2_000 : 6_000);
  },
};

/** A closed loop over warm `keys` for `durationMs`, then the checks. */
async function throughput(target: CounterTarget, ctx: RunContext, keys: string[], durationMs: number): Promise<Measurement> {
  const bases = await readCounts(target, ctx, keys);
  const load = await closedLoop({
    origin: ctx.origin,
    concurrency: CLIENTS,
    durationMs,
    maxCalls: 200_000,
    keyOf: (i) => keys[i % keys.length]!,
    call: target.call,
  });
  const finals = await readCounts(target, ctx, keys);
  const problems = [...checkAnswers(load, bases), ...checkFinalCounts(load, bases, finals)];
  if (load.proxyDrops > 0 && problems.length > 0) {
    problems.push(`${load.proxyDrops} calls were dropped by wrangler dev's proxy; if some reached the object after all, counts above their acknowledged adds are explained`);
  }
  return summarizeThroughput(load, problems, keys.length);
}

function summarizeThroughput(load: LoadResult, problems: string[], keys: number): Measurement {
  const rps = load.ok / (load.elapsedMs / 1000);
  const p50 = percentile(load.latenciesMs, 50);
  const p99 = percentile(load.latenciesMs, 99);
  return measurement(rps, `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`, load, problems, {
    clients: CLIENTS,
    keys,
    calls: load.ok + load.errors,
    seconds: load.elapsedMs / 1000,
    p50Ms: p50,
    p99Ms: p99,
  });
}

/**
 * Each key's count, read with add(0); creates the objects that do not exist yet.
 * add(0) changes nothing, so calls the dev proxy dropped are simply retried.
 */
async function readCounts(target: CounterTarget, ctx: RunContext, keys: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let round = 0; round < 3 && counts.size < keys.length; round++) {
    const missing = keys.filter((k) => !counts.has(k));
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: Math.min(CLIENTS, missing.length),
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

async function readCount(target: CounterTarget, ctx: RunContext, key: string): Promise<number> {
  return (await readCounts(target, ctx, [key])).get(key)!;
}

/** The answers on each key must be base+1..base+m in some order: no lost or doubled add. */
function checkAnswers(load: LoadResult, bases: Map<string, number>): string[] {
  const byKey = new Map<string, unknown[]>();
  for (const { key, answer } of load.samples) {
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

/** Each key's final count must be its base plus its acknowledged adds. */
function checkFinalCounts(load: LoadResult, bases: Map<string, number>, finals: Map<string, number>): string[] {
  const expected = new Map(bases);
  for (const { key } of load.samples) expected.set(key, expected.get(key)! + 1);
  const problems: string[] = [];
  for (const [key, want] of expected) {
    const got = finals.get(key)!;
    if (got !== want) {
      const why = got > want ? " (adds applied but not acknowledged?)" : " (acknowledged adds lost!)";
      problems.push(`${key}: final count ${got}, expected ${want}${why}`);
    }
  }
  return problems;
}

function describe(sorted: unknown[]): string {
  const shown = sorted.length <= 8 ? sorted : [...sorted.slice(0, 4), "...", ...sorted.slice(-3)];
  return `[${shown.map((a) => JSON.stringify(a)).join(", ")}]`;
}

function measurement(
  value: number,
  note: string,
  load: LoadResult,
  problems: string[],
  details: Record<string, number | string>,
): Measurement {
  return { value, note, details, errors: load.errors, errorKinds: load.errorKinds, proxyDrops: load.proxyDrops, problems };
}

export const w3: Workload<CounterTarget> = {
  id: "w3",
  title: "W3: counter.add(n) — get state, 3 × ctx.run, set state",
  subject: resolute,
  baseline: floor,
  async warmUp(target, ctx) {
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: 16,
      durationMs: ctx.quick ? 1_000 : 2_000,
      maxCalls: 50_000,
      keyOf: (i) => `${ctx.runId}-warm${i % 32}`,
      call: target.call,
    });
    if (load.ok === 0) throw new Error(`every warm-up call failed: ${JSON.stringify(load.errorKinds)}`);
    if (load.errors + load.proxyDrops > 0) {
      ctx.log(`  warm-up: ${load.errors} errors ${JSON.stringify(load.errorKinds)}, ${load.proxyDrops} proxy drops`);
    }
  },
  scenarios: [sequentialLatency, freshKeys, spreadThroughput, hotKeyThroughput],
};
