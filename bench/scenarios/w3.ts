/**
 * W3: virtual object `counter.add(n)` (bench/counter.ts) against the floor
 * (bench/floor.ts), a bare Durable Object writing the same rows in one request.
 *
 * Every scenario checks the answers: on each key, the adds must answer exactly
 * base + 1, base + 2, ... in some order (base: the count before the scenario),
 * and a final `add(0)` must read back base + the number of acknowledged adds.
 */
import { closedLoop, sequential } from "../harness/load.js";
import type { Measurement, RunContext, Scenario, Workload } from "../harness/types.js";
import { latencyMeasurement, throughputMeasurement, warmUpLoop } from "./common.js";
import {
  checkAnswers,
  checkFinalCounts,
  counterTarget,
  countByKey,
  isResoluteReady,
  readCounts,
  resoluteCounterPath,
  type CounterTarget,
} from "./counter.js";

const resolute = counterTarget("resolute", resoluteCounterPath, isResoluteReady);

const floor = counterTarget(
  "floor",
  (key) => `/floor/${encodeURIComponent(key)}/add`,
  async (http) => (await http.postJson("/floor/ready/add", 0)) === 0,
);

/** Restate itself (bench/peers/restate-endpoint.mjs): the same object at the same path on its ingress. */
const restate = counterTarget("restate", resoluteCounterPath, async (http) => typeof (await http.postJson("/counter/ready/add", 0)) === "number");

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
    const base = (await readCounts(target, ctx, [key])).get(key)!; // also creates the object: first touch is not timed
    const load = await sequential(ctx.origin, key, calls, target.call);
    const wrong = load.samples.findIndex((s, i) => s.answer !== base + i + 1);
    const problems =
      wrong < 0 ? [] : [`${key}: answer #${wrong + 1} was ${JSON.stringify(load.samples[wrong]!.answer)}, expected ${base + wrong + 1}`];
    return latencyMeasurement(load, problems);
  },
};

const freshKeys: Scenario<CounterTarget> = {
  id: "w3-fresh",
  touchesManyObjects: true,
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
    const problems = checkAnswers(load.samples, new Map(keys.map((k) => [k, 0]))).map((p) => `${p} (were the keys not new?)`);
    return throughputMeasurement(load, problems, { clients: CLIENTS, keys: keys.length });
  },
};

const spreadThroughput: Scenario<CounterTarget> = {
  id: "w3-spread",
  touchesManyObjects: true,
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
  const problems = [...checkAnswers(load.samples, bases), ...checkFinalCounts(countByKey(load.samples), bases, finals)];
  if (load.proxyDrops > 0 && problems.length > 0) {
    problems.push(`${load.proxyDrops} calls were dropped by wrangler dev's proxy; if some reached the object after all, counts above their acknowledged adds are explained`);
  }
  return throughputMeasurement(load, problems, { clients: CLIENTS, keys: keys.length });
}

export { sequentialLatency, hotKeyThroughput, throughput, CLIENTS };

export const w3: Workload<CounterTarget> = {
  id: "w3",
  title: "W3: counter.add(n) — get state, 3 × ctx.run, set state",
  subject: resolute,
  baseline: floor,
  peers: { restate },
  warmUp(target, ctx) {
    return warmUpLoop(ctx, target.call, (i) => `${ctx.runId}-warm${i % 32}`);
  },
  scenarios: [sequentialLatency, freshKeys, spreadThroughput, hotKeyThroughput],
};
