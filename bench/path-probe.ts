/**
 * `node --import tsx bench/path-probe.ts [--runs 200]`: where a workflow's end-to-end
 * latency goes under `wrangler dev`. One wrangler dev serves the bench Worker; one
 * client sends, in turn, to its reload proxy (what `npm run bench` measures) and past
 * it to the Worker's own workerd (`--direct`):
 *
 *   health     GET /restate/health: HTTP in, the Resolute router, out (no object)
 *   bare DO    POST /floor/k/add: a bare SQLite Durable Object writing 8 rows over RPC,
 *              no engine (bench/floor.ts): the least any durable request can cost
 *   resolute   POST /threeSteps/{id}/run: a 3-step Resolute workflow, new id each time
 *   cf         POST /cfwf/run: the same workflow on Cloudflare Workflows, created and
 *              polled (1 ms doubling to 4 ms) inside the Worker
 *
 * All eight are interleaved request by request, so the machine's noise lands on all
 * alike. Prints p25/p50/p90 per path and each one's p50 as a share of Cloudflare's.
 */
import { Pool } from "undici";
import { bundleWorker, startDevServer } from "./harness/server.js";

const args = process.argv.slice(2);
const runs = Number(args.includes("--runs") ? args[args.indexOf("--runs") + 1] : "200");

type Call = [method: "GET" | "POST", path: string, body?: string];
let n = 0;
const targets: Record<string, () => Call> = {
  health: () => ["GET", "/restate/health"],
  "bare DO": () => ["POST", "/floor/k/add", "1"],
  resolute: () => ["POST", `/threeSteps/pp${n++}/run`, "{}"],
  cf: () => ["POST", "/cfwf/run", JSON.stringify({ id: `pp${n++}` })],
};

const ROOT = process.cwd();
const bundle = await bundleWorker({ config: "bench/wrangler.toml", cwd: ROOT });
const server = await startDevServer({
  config: "bench/wrangler.toml", cwd: ROOT, bundle,
  isReady: async (url) => (await fetch(`${url}/restate/health`).catch(() => undefined))?.ok === true,
});
try {
  if (!server.directUrl) throw new Error("found no port of the Worker's own workerd behind the proxy (read from /proc: Linux only)");
  const paths = { proxy: new Pool(server.url, { connections: 1 }), direct: new Pool(server.directUrl!, { connections: 1 }) };
  const call = async (pool: Pool, target: () => Call) => {
    const [method, path, body] = target();
    const response = await pool.request({ method, path, ...(body !== undefined ? { body } : {}), headers: { "content-type": "application/json" } });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${method} ${path}: ${response.statusCode} ${text}`);
  };
  // Warm up: JIT, connections, and one workflow on most of Resolute's 64 shards.
  for (const pool of Object.values(paths)) for (const target of Object.values(targets)) for (let i = 0; i < 100; i++) await call(pool, target);
  const latencies = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    for (const [via, pool] of Object.entries(paths)) {
      for (const [name, target] of Object.entries(targets)) {
        const started = performance.now();
        await call(pool, target);
        const key = `${via}|${name}`;
        latencies.set(key, [...(latencies.get(key) ?? []), performance.now() - started]);
      }
    }
  }
  const at = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
  for (const via of Object.keys(paths)) {
    const cf = at(latencies.get(`${via}|cf`)!.sort((a, b) => a - b), 0.5);
    for (const name of Object.keys(targets)) {
      const sorted = latencies.get(`${via}|${name}`)!.sort((a, b) => a - b);
      const [p25, p50, p90] = [0.25, 0.5, 0.9].map((q) => at(sorted, q).toFixed(2));
      console.log(`${via.padEnd(7)} ${name.padEnd(9)} p25 ${p25}  p50 ${p50}  p90 ${p90} ms   p50 ÷ cf ${(at(sorted, 0.5) / cf).toFixed(2)}`);
    }
  }
  for (const pool of Object.values(paths)) await pool.close();
} finally {
  await server.stop();
  bundle.dispose();
}
