/**
 * W3 through a concurrency limit (issue 15): `limitedCounter.add(n)`, W3's handler on a
 * service declaring `concurrency: { limit: 64 }` (one limiter for the deployment, which
 * 64 clients never exceed), against W3 without a limit. The difference is what a slot
 * costs: an acquire, a grant and a release through the outbox per invocation.
 */
import type { Workload } from "../harness/types.js";
import { warmUpLoop } from "./common.js";
import { counterTarget, isResoluteReady, resoluteCounterPath, type CounterTarget } from "./counter.js";
import { hotKeyThroughput, sequentialLatency, spreadThroughput } from "./w3.js";

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
