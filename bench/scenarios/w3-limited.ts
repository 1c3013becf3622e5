/**
 * W3 through a concurrency limit (issue 15): `limitedCounter.add(n)`, W3's handler on a
 * service declaring `concurrency: { limit: 64 }` (one limiter for the deployment, which
 * 64 clients never exceed), against W3 without a limit. The difference is what a slot
 * costs: an acquire per invocation (through the owner's outbox, with its crash wake-up,
 * answered with the grant) and a release sent once when it ends.
 *
 * The spread runs over 500 keys, not W3's 1,000: both systems' objects live in one
 * workerd, which runs out of SQLite memory after a couple of thousand objects locally.
 */
import type { Scenario, Workload } from "../harness/types.js";
import { hash53 } from "../../src/engine/ids.js";
import { warmUpLoop } from "./common.js";
import { counterTarget, isResoluteReady, resoluteCounterPath, type CounterTarget } from "./counter.js";
import { CLIENTS, hotKeyThroughput, sequentialLatency, throughput } from "./w3.js";

const KEYS = 500;

const spreadThroughput: Scenario<CounterTarget> = {
  id: "w3-spread-500",
  touchesManyObjects: true,
  title: `W3 throughput (${CLIENTS} clients, ${KEYS} keys)`,
  unit: "req/s",
  better: "higher",
  run(target, ctx) {
    return throughput(target, ctx, Array.from({ length: KEYS }, (_, i) => `${ctx.runId}-k${i}`), ctx.quick ? 3_000 : 10_000);
  },
};

/** The limited counter, each call under one of LIMIT_KEYS limit keys (by its object key). */
const LIMIT_KEYS = 16;
function keyedLimitedCounter(): CounterTarget {
  const path = (key: string) => `/limitedCounter/${encodeURIComponent(key)}/add`;
  const limitKey = (key: string) => ({ "x-restate-limit-key": `t${hash53(key) % LIMIT_KEYS}` });
  const add: CounterTarget["add"] = (http, key, n, headers) => http.postJson(path(key), n, { ...limitKey(key), ...headers });
  return { system: `resolute-limit64x${LIMIT_KEYS}`, isReady: isResoluteReady, add, call: (http, key) => add(http, key, 1) };
}

export const w3Limited: Workload<CounterTarget> = {
  id: "w3-limited",
  title: "W3 through concurrency: { limit: 64 } (one limiter) — against W3 without a limit",
  subject: counterTarget("resolute-limit64", (key) => `/limitedCounter/${encodeURIComponent(key)}/add`, isResoluteReady),
  baseline: counterTarget("resolute", resoluteCounterPath, isResoluteReady),
  warmUp(target, ctx) {
    return warmUpLoop(ctx, target.call, (i) => `${ctx.runId}-warm${i % 32}`);
  },
  scenarios: [sequentialLatency, spreadThroughput, hotKeyThroughput],
};

/** The same, spread over 16 limit keys (16 limiters of 64 each): how far a limit scales out by key. */
export const w3LimitedKeyed: Workload<CounterTarget> = {
  id: "w3-limited-keys",
  title: `W3 through concurrency: { limit: 64 } per limit key, ${LIMIT_KEYS} keys — against W3 without a limit`,
  subject: keyedLimitedCounter(),
  baseline: counterTarget("resolute", resoluteCounterPath, isResoluteReady),
  warmUp(target, ctx) {
    return warmUpLoop(ctx, target.call, (i) => `${ctx.runId}-warm${i % 32}`);
  },
  scenarios: [spreadThroughput],
};
