/**
 * `node --import tsx bench/wf-probe.ts`: workerd CPU per 3-step workflow, through
 * Miniflare directly (no wrangler dev proxy), for the ways a client can run one:
 * submit + attach (the benchmark's throughput pattern) and a blocking `run`, beside
 * Cloudflare Workflows (bench/three-steps.ts) started and awaited the same two ways.
 * Prints workflows/s and workerd CPU ms per workflow, 3 interleaved rounds.
 */
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { Pool } from "undici";
import { mkdirSync, readFileSync } from "node:fs";
import { execSync } from "node:child_process";

mkdirSync(".wrangler/wf-probe", { recursive: true });
await build({ entryPoints: ["bench/worker.ts"], outfile: ".wrangler/wf-probe/worker.js", bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent" });
const mf = new Miniflare({
  modules: true, scriptPath: ".wrangler/wf-probe/worker.js", compatibilityDate: "2026-04-20",
  durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true }, FLOOR: { className: "FloorObject", useSQLite: true } },
  workflows: { CF_WF: { name: "three-steps", className: "ThreeSteps" } },
  durableObjectsPersist: `.wrangler/wf-probe/state-${Date.now()}`, host: "127.0.0.1", port: 0,
});
const url = await mf.ready;
const pool = new Pool(url.origin, { connections: 64 });
const pids = execSync("pgrep -f 'workerd serve'").toString().trim().split("\n");
const cpuMs = () => pids.reduce((sum, pid) => {
  try { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return sum + Number(f[11]) + Number(f[12]); } catch { return sum; }
}, 0) * 10;

async function call(method: string, path: string, body?: string): Promise<string> {
  const r = await pool.request({ method: method as "POST", path, ...(body !== undefined ? { body } : {}), headers: { "content-type": "application/json" } });
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${path}: ${r.statusCode} ${text}`);
  return text;
}

const patterns: Record<string, (id: string) => Promise<unknown>> = {
  "submit+attach": async (id) => { await call("POST", `/threeSteps/${id}/run/send`, "{}"); return call("GET", `/restate/workflow/threeSteps/${id}/attach`); },
  run: (id) => call("POST", `/threeSteps/${id}/run`, "{}"),
  "cf start+wait": async (id) => { await call("POST", "/cfwf/start", JSON.stringify({ id })); return call("POST", "/cfwf/wait", JSON.stringify({ id })); },
  "cf run": (id) => call("POST", "/cfwf/run", JSON.stringify({ id })),
};

let seq = 0;
async function load(pattern: (id: string) => Promise<unknown>, n: number, clients = 64): Promise<string> {
  const c0 = cpuMs(); const start = performance.now(); let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => { while (next < n) { next++; await pattern(`p${seq++}`); } }));
  const wall = performance.now() - start;
  return `${(n / (wall / 1000)).toFixed(0)}/s cpu ${((cpuMs() - c0) / n).toFixed(2)} ms`;
}

const chosen = Object.entries(patterns).filter(([name]) => !process.env.WF_PROBE_ONLY || name.startsWith(process.env.WF_PROBE_ONLY));
for (const [, pattern] of chosen) await load(pattern, 200); // first touch of the shards
const results: Record<string, string[]> = {};
for (let round = 0; round < 3; round++) for (const [name, pattern] of chosen) (results[name] ??= []).push(await load(pattern, name.startsWith("cf") ? 200 : 1000));
for (const [name, lines] of Object.entries(results)) console.log(name.padEnd(14), lines.join("  |  "));
await pool.close();
await mf.dispose();
