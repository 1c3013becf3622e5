/**
 * `node --import tsx bench/index-cost.ts [tree] [--path /chainA/{i}/hop] [--calls 2000] [--clients 64] [--keys 500]`:
 * what the invocation index costs an owner per call under load, exact (issue 14), where the
 * A/B's throughput is noisy: alarm writes (`setAlarm`, `deleteAlarm`: workerd commits each to
 * its alarm database), alarm handler runs, and index rows and sends (RPCs to index shards).
 * Builds the bench Worker of `tree` (default: the working tree; a `git worktree` of another
 * revision compares it) with those counted, warms the keys ({i}: `--keys` keys), runs `calls`
 * calls with `clients` in flight, waits 3 s for the wake-ups they left (the index's reminder
 * fires within 2 s), and prints the calls' latency and the counts per call. The counting wraps
 * only this build's entry, not src/.
 * `--fresh`: Miniflare is restarted between the warm-up and the counted calls, so each key's
 * first counted visit starts fresh instances (an evicted object: a restart drops every instance,
 * as eviction does one), with the warm-up's rows stored and acknowledged (use `--calls` = `--keys`
 * for one fresh visit per key). `--stacks`: setAlarm counted by its callers too.
 */
import { Pool } from "undici";
import { rmSync } from "node:fs";
import { serveWrapped } from "./harness/wrapped-worker.js";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const tree = resolve(args[0] && !args[0].startsWith("--") ? args[0] : ".");
const path = option("--path", "/chainA/{i}/hop");
const calls = Number(option("--calls", "2000"));
const clients = Number(option("--clients", "64"));
/** Keys behind `{i}`: visited right before the counted calls, so none is evicted (a fresh instance resends its recent rows). */
const keys = Number(option("--keys", "500"));
const fresh = args.includes("--fresh");
/** `--stacks`: setAlarm counted by call site too (which part of the object wrote its alarm). */
const stacks = args.includes("--stacks");

const ENTRY = `
import worker, { ResoluteObject as Base, FloorObject, ChainFloorObject, ThreeSteps } from ${JSON.stringify(join(tree, "bench/worker.ts"))};
const counts = { setAlarm: 0, deleteAlarm: 0, alarmRuns: 0, indexSends: 0, indexRows: 0 };
/** Where setAlarm was called from: its callers' names, innermost first. */
const bySite = (stack) => { const k = "setAlarm at " + stack.split("\\n").slice(2, 10).map((l) => l.trim().split(" ")[1]).join(" < "); counts[k] = (counts[k] ?? 0) + 1; };
export class ResoluteObject extends Base {
  constructor(ctx, env) {
    const storage = ctx.storage, setAlarm = storage.setAlarm.bind(storage), deleteAlarm = storage.deleteAlarm.bind(storage);
    storage.setAlarm = (...a) => (counts.setAlarm++, ${stacks ? "bySite(new Error().stack), " : ""}setAlarm(...a));
    storage.deleteAlarm = (...a) => (counts.deleteAlarm++, deleteAlarm(...a));
    super(ctx, env);
  }
  alarm() { counts.alarmRuns++; return super.alarm(); }
  index(call) {
    if (call.kind !== "record") return super.index(call);
    counts.indexSends++;
    counts.indexRows += call.batch.rows.length;
    for (const row of call.batch.rows) { const k = row[1] + ":" + row[6]; counts[k] = (counts[k] ?? 0) + 1; } // by service and status
    return super.index(call);
  }
}
export { FloorObject, ChainFloorObject, ThreeSteps };
export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname !== "/__counts") return worker.fetch(request, env, ctx);
    const out = { ...counts };
    for (const k of Object.keys(counts)) counts[k] = 0;
    return Response.json(out);
  },
};`;

const dir = resolve(".wrangler", "index-cost", String(process.pid));
let mf = await serveWrapped(dir, ENTRY);
let origin = (await mf.ready).origin;
let pool = new Pool(origin, { connections: clients + 2 });
try {
  let n = 0;
  let failed = 0;
  const latencies: number[] = [];
  const call = async () => {
    const target = path.replace("{i}", `k${n % keys}`).replace("{n}", `s${n}`);
    n++;
    const start = performance.now();
    try {
      const r = await pool.request({ method: "POST", path: target, body: "1", headers: { "content-type": "application/json" } });
      await r.body.text();
      if (r.statusCode >= 300) failed++;
      else latencies.push(performance.now() - start);
    } catch {
      failed++; // workerd resets a few connections under this load (its pipelineTimeout)
    }
  };
  const counts = async () => (await (await fetch(origin + "/__counts")).json()) as Record<string, number>;
  // Every key's objects exist and are warm (visited in parallel: workerd evicts an object ~10 s after its last request).
  await Promise.all(Array.from({ length: clients }, async () => { while (n < keys) await call(); }));
  await new Promise((r) => setTimeout(r, 3_000));
  await counts();
  if (fresh) {
    // The same stored state, no instance in memory: every object the counted calls reach starts fresh.
    await pool.close();
    await mf.dispose();
    mf = await serveWrapped(dir, ENTRY);
    origin = (await mf.ready).origin;
    pool = new Pool(origin, { connections: clients + 2 });
    await counts();
  }
  n = 0;
  failed = 0;
  latencies.length = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: clients }, async () => { while (n < calls) await call(); }));
  const seconds = (Date.now() - started) / 1_000;
  await new Promise((r) => setTimeout(r, 3_000));
  const per = Object.entries(await counts()).map(([k, v]) => `${k} ${(v / calls).toFixed(3)}`).join(", ");
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  console.log(`${path}${fresh ? " (fresh instances)" : ""}, ${calls} calls, ${clients} clients, ${Math.round(calls / seconds)}/s, latency p50 ${pct(0.5)} p90 ${pct(0.9)} p99 ${pct(0.99)} ms, ${failed} failed`);
  console.log(`  per call: ${per}`);
} finally {
  await pool.close();
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
}
