/**
 * `node --import tsx bench/ab-probe.ts <git revision> [--path /threeSteps/{n}/run] [--old-path <the revision's path>] [--calls 800] [--rounds 3] [--round-calls 1500] [--clients 64] [--rewarm 500]`:
 * compares the working tree's bench Worker with the one at <revision>, both served
 * by Miniflare at once (two workerds) with their requests interleaved, so the
 * machine's noise lands on both alike. Prints sequential latency (p25, p50, p90)
  // {n}: a new key per request; {i}: 500 warm keys; {k}: 1,000 warm keys.
  const r = await pool.request({ method: "POST", path: path.replace("{k}", `ab${n % 1000}`).replace("{i}", `k${n % 500}`).replace("{n}", `ab${n}`), body: "1", headers: { "content-type": "application/json" } });
  n++;
 */
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { Pool } from "undici";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const revision = args[0];
if (!revision || revision.startsWith("--")) throw new Error("usage: bench/ab-probe.ts <git revision> [--path /threeSteps/{n}/run] [--calls 800]");
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const path = option("--path", "/threeSteps/{n}/run");
/** The old side's path, when it differs (e.g. the floor's: `--old-path /floor/hot/add`). */
const oldPath = option("--old-path", path);
const calls = Number(option("--calls", "800"));
const rounds = Number(option("--rounds", "3"));
/** Calls per side in each throughput round. */
const roundCalls = Number(option("--round-calls", "1500"));
/** Concurrent clients in the throughput rounds. */
const clients = Number(option("--clients", "64"));
/**
 * Unmeasured calls each side makes right before each of its throughput runs. workerd evicts an
 * object ~10 s after its last request, so without them the side running second in a round finds
 * its objects evicted by the other's run (and pays for reopening them): with sides alternating,
 * one side's median then mixes more cold runs than the other's. 500 visits every `{i}` key.
 */
const rewarm = Number(option("--rewarm", "0"));

/** This process's workerd children, and their CPU time (ms). */
const stat = (pid: string) => { try { return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); } catch { return undefined; } };
const comm = (pid: string) => { try { return readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; } };
const ours = (pid: string) => { for (let p: string | undefined = pid, i = 0; p && p !== "1" && i < 10; p = stat(p)?.[1], i++) if (p === String(process.pid)) return true; return false; };
const workerds = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p) && comm(p).startsWith("workerd") && ours(p));
const cpuMs = (pids: string[]) => pids.reduce((sum, pid) => { const f = stat(pid); return sum + (f ? Number(f[11]) + Number(f[12]) : 0); }, 0) * 10;

const ROOT = resolve(".");
const OLD = join(ROOT, ".wrangler", "ab-probe", "old-tree");
rmSync(OLD, { recursive: true, force: true });
execFileSync("git", ["worktree", "add", "--force", "--detach", OLD, revision], { stdio: "ignore" });
symlinkSync(join(ROOT, "node_modules"), join(OLD, "node_modules"));

async function serve(label: string, root: string) {
  const before = new Set(workerds());
  const dir = join(ROOT, ".wrangler", "ab-probe", label);
  mkdirSync(dir, { recursive: true });
  await build({ entryPoints: [join(root, "bench/worker.ts")], outfile: join(dir, "worker.js"), bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent" });
  const mf = new Miniflare({
    modules: true, scriptPath: join(dir, "worker.js"), compatibilityDate: "2026-04-20",
    durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true }, FLOOR: { className: "FloorObject", useSQLite: true }, CHAIN_FLOOR: { className: "ChainFloorObject", useSQLite: true } },
    workflows: { CF_WF: { name: "three-steps", className: "ThreeSteps" } },
    durableObjectsPersist: join(dir, `state-${Date.now()}`), host: "127.0.0.1", port: 0,
  });
  const origin = (await mf.ready).origin;
  return { label, mf, pool: new Pool(origin, { connections: 64 }), pids: workerds().filter((p) => !before.has(p)), path: root === OLD ? oldPath : path };
}

/** Requests made per pool: each side visits the same keys in the same order (a shared count would give one side the other's warm keys). */
const counts = new Map<Pool, number>();
async function call(pool: Pool, path: string): Promise<boolean> {
  const n = counts.get(pool) ?? 0;
  counts.set(pool, n + 1);
  // {n}: a new key per request; {i}: 500 warm keys; {k}: 1,000 warm keys.
  const r = await pool.request({ method: "POST", path: path.replace("{k}", `ab${n % 1000}`).replace("{i}", `k${n % 500}`).replace("{n}", `ab${n}`), body: "1", headers: { "content-type": "application/json" } });
  await r.body.text();
  return r.statusCode < 300;
}

try {
  const sides = [await serve(`old (${revision})`, OLD), await serve("new (working tree)", ROOT)];
  for (const side of sides) for (let i = 0; i < 400; i++) await call(side.pool, side.path); // JIT, connections, every shard
  const latencies = new Map(sides.map((s) => [s.label, [] as number[]]));
  for (let i = 0; i < calls; i++) {
    for (const side of i % 2 ? sides : [...sides].reverse()) {
      const t0 = performance.now();
      if (!(await call(side.pool, side.path))) throw new Error(`${side.label}: ${side.path} failed`);
      latencies.get(side.label)!.push(performance.now() - t0);
    }
  }
  const at = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(2);
  for (const [label, values] of latencies) {
    values.sort((a, b) => a - b);
    console.log(`${label.padEnd(28)} sequential p25 ${at(values, 0.25)}  p50 ${at(values, 0.5)}  p90 ${at(values, 0.9)} ms`);
  }
  const rates = new Map(sides.map((s) => [s.label, [] as number[]]));
  const cpu = new Map(sides.map((s) => [s.label, [] as number[]]));
  const errors = new Map(sides.map((s) => [s.label, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 ? sides : [...sides].reverse()) {
      let warmed = 0;
      await Promise.all(Array.from({ length: clients }, async () => { while (warmed < rewarm) { warmed++; await call(side.pool, side.path).catch(() => false); } }));
      const cpu0 = cpuMs(side.pids);
      const started = performance.now();
      let issued = 0;
      const total = roundCalls;
      let failed = 0;
      await Promise.all(Array.from({ length: clients }, async () => { while (issued < total) { issued++; if (!(await call(side.pool, side.path).catch(() => false))) failed++; } }));
      errors.get(side.label)!.push(failed);
      rates.get(side.label)!.push(Math.round(total / ((performance.now() - started) / 1000)));
      await new Promise((r) => setTimeout(r, 500)); // work a request left behind (batched writes) counts too
      cpu.get(side.label)!.push((cpuMs(side.pids) - cpu0) / total);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]!;
  for (const [label, values] of rates) console.log(`${label.padEnd(28)} ${clients} clients ${values.join(", ")} calls/s (median ${median(values)}); workerd CPU ${cpu.get(label)!.map((c) => c.toFixed(3)).join(", ")} ms/call (median ${median(cpu.get(label)!).toFixed(3)}); failed ${errors.get(label)!.join(", ")}`);
  // Rounds run in adjacent pairs, so a ratio per pair cancels the machine's drift better than the medians do.
  const [oldCpu, newCpu] = sides.map((s) => cpu.get(s.label)!) as [number[], number[]];
  const [oldRate, newRate] = sides.map((s) => rates.get(s.label)!) as [number[], number[]];
  console.log(`new ÷ old per round (median): workerd CPU ${median(newCpu.map((c, i) => c / oldCpu[i]!)).toFixed(3)}, calls/s ${median(newRate.map((r, i) => r / oldRate[i]!)).toFixed(3)}`);
  for (const side of sides) { await side.pool.close(); await side.mf.dispose(); }
} finally {
  execFileSync("git", ["worktree", "remove", "--force", OLD], { stdio: "ignore" });
}
