/**
 * The call chain (issue #3): virtual object A → virtual object B (same key) →
 * stateless service C, one `ctx.run` each, the answers returning through the
 * chain (bench/chain.ts), against the floor (bench/chain-floor.ts): bare
 * Durable Objects doing the same hops over RPC, one written row each.
 *
 * Every call checks its answer: [a, b, c] steps, each naming the key and the
 * call's number, so a hop that answered for another call is caught.
 *
 * 500 keys, not W3's 1,000: each key is two objects (A and B), and one local
 * workerd holds only ~2,100 of Resolute's objects before SQLITE_NOMEM.
 */
import { closedLoop, sequential, type Call, type Http, type LoadResult } from "../harness/load.js";
import type { RunContext, Scenario, Target, Workload } from "../harness/types.js";
import { latencyMeasurement, throughputMeasurement, warmUpLoop } from "./common.js";

interface ChainTarget extends Target {
  hop(http: Http, key: string, n: number): Promise<unknown>;
}

function chainTarget(system: string, path: (key: string) => string, isReady: Target["isReady"]): ChainTarget {
  const hop = (http: Http, key: string, n: number) => http.postJson(path(key), n);
  return { system, isReady, hop, call: (http, key) => hop(http, key, 0) };
}

const resolute = chainTarget(
  "resolute",
  (key) => `/chainA/${encodeURIComponent(key)}/hop`,
  async (http) => (await http.getStatus("/restate/health")) === 200,
);

const floor = chainTarget(
  "floor",
  (key) => `/chain-floor/${encodeURIComponent(key)}/hop`,
  async (http) => chainProblem(await http.postJson("/chain-floor/ready/hop", 0), "ready", 0) === undefined,
);

/** Restate itself (bench/peers/restate-endpoint.mjs): the same three services at the same path on its ingress. */
const restate = chainTarget(
  "restate",
  (key) => `/chainA/${encodeURIComponent(key)}/hop`,
  async (http) => chainProblem(await http.postJson("/chainA/ready/hop", 0), "ready", 0) === undefined,
);

const CLIENTS = 64;
const KEYS = 500;
/** chain-fresh creates these objects; chain-spread reuses them, warm. */
const spreadKeys = (ctx: RunContext) => Array.from({ length: KEYS }, (_, i) => `${ctx.runId}-k${i}`);

/** Why `answer` is not the chain's answer for (key, n); undefined when it is. */
function chainProblem(answer: unknown, key: string, n: number): string | undefined {
  const hops = ["a", "b", "c"];
  const ok =
    Array.isArray(answer) &&
    answer.length === hops.length &&
    answer.every((step: { hop?: unknown; key?: unknown; n?: unknown }, i) => step?.hop === hops[i] && step.key === key && step.n === n);
  return ok ? undefined : `call ${n} on ${key} answered ${JSON.stringify(answer).slice(0, 200)}`;
}

/** Numbers each call and answers with the problem of its answer (undefined when right). */
function checkedCall(target: ChainTarget): Call {
  let next = 0;
  return async (http, key) => {
    const n = next++;
    return chainProblem(await target.hop(http, key, n), key, n);
  };
}

function problemsOf(load: LoadResult): string[] {
  return load.samples.flatMap((s) => (typeof s.answer === "string" ? [s.answer] : []));
}

const sequentialLatency: Scenario<ChainTarget> = {
  id: "chain-sequential",
  title: "Chain A→B→C sequential latency p50 (1 client, 1 key)",
  unit: "ms",
  better: "lower",
  async run(target, ctx) {
    const key = `${ctx.runId}-seq`;
    const call = checkedCall(target);
    await sequential(ctx.origin, key, 1, call); // creates the objects: first touch is not timed
    const load = await sequential(ctx.origin, key, ctx.quick ? 60 : 300, call);
    return latencyMeasurement(load, problemsOf(load));
  },
};

const freshKeys: Scenario<ChainTarget> = {
  id: "chain-fresh",
  touchesManyObjects: true,
  title: `Chain first touch (${CLIENTS} clients, 1 call on each of ${KEYS} new keys)`,
  unit: "req/s",
  better: "higher",
  async run(target, ctx) {
    const keys = spreadKeys(ctx);
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: CLIENTS,
      durationMs: 120_000,
      maxCalls: keys.length,
      keyOf: (i) => keys[i]!,
      call: checkedCall(target),
    });
    return throughputMeasurement(load, problemsOf(load), { clients: CLIENTS, keys: keys.length });
  },
};

const spreadThroughput: Scenario<ChainTarget> = {
  id: "chain-spread",
  touchesManyObjects: true,
  title: `Chain throughput (${CLIENTS} clients, ${KEYS} keys)`,
  unit: "req/s",
  better: "higher",
  async run(target, ctx) {
    const keys = spreadKeys(ctx);
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: CLIENTS,
      durationMs: ctx.quick ? 3_000 : 8_000,
      maxCalls: 200_000,
      keyOf: (i) => keys[i % keys.length]!,
      call: checkedCall(target),
    });
    return throughputMeasurement(load, problemsOf(load), { clients: CLIENTS, keys: keys.length });
  },
};

export const chain: Workload<ChainTarget> = {
  id: "chain",
  title: "Call chain: object A → object B (same key) → service C, one ctx.run each",
  subject: resolute,
  baseline: floor,
  peers: { restate },
  warmUp(target, ctx) {
    return warmUpLoop(ctx, checkedCall(target), (i) => `${ctx.runId}-warm${i % 16}`);
  },
  scenarios: [sequentialLatency, freshKeys, spreadThroughput],
};
