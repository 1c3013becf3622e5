/**
 * Quick W3 probe: floor vs Resolute, hot key and 1,000 keys, interleaved rounds,
 * through Miniflare directly. Prints req/s and workerd CPU ms per request per
 * run, then the medians. CPU is read from /proc for this process's own workerd
 * children only, so other workerd processes on the machine do not count.
 * Usage: node --import tsx bench/quick-probe.ts [--rounds 3] [--requests 3000] [--gap 0]
 * --gap S pauses S seconds before each run: workerd evicts an object ~10 s after
 * its last request, so without a pause a run pays for closing the previous
 * run's 1,000 objects (12 or more makes each run pay only for its own).
 */
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { Pool } from "undici";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const ROUNDS = arg("--rounds", 3);
const N = arg("--requests", 3000);
const GAP = arg("--gap", 0);
mkdirSync(".wrangler/quick", { recursive: true });
await build({ entryPoints: ["bench/worker.ts"], outfile: ".wrangler/quick/worker.js", bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent" });
const mf = new Miniflare({ modules: true, scriptPath: ".wrangler/quick/worker.js", compatibilityDate: "2026-04-20",
  durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true }, FLOOR: { className: "FloorObject", useSQLite: true } }, durableObjectsPersist: ".wrangler/quick/state-" + Date.now(), host: "127.0.0.1", port: 0 });
const url = await mf.ready; let pool = new Pool(url.origin, { connections: 64 });
const pause = async () => { if (!GAP) return; await pool.close(); await new Promise((ok) => setTimeout(ok, GAP * 1000)); pool = new Pool(url.origin, { connections: 64 }); };
const parentOf = (pid: string) => { try { return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]!; } catch { return ""; } };
const isOurs = (pid: string) => { for (let p = pid, i = 0; p && p !== "0" && p !== "1" && i < 10; p = parentOf(p), i++) if (p === String(process.pid)) return true; return false; };
const comm = (pid: string) => { try { return readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; } };
const pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && p !== String(process.pid) && comm(p).startsWith("workerd") && isOurs(p));
if (pids.length === 0) throw new Error("no workerd child found");
const cpu = () => pids.reduce((sum, pid) => { try { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return sum + Number(f[11]) + Number(f[12]); } catch { return sum; } }, 0) * 10; // ms
// A keep-alive connection the server closed just as a request went out fails with "other side closed": retry it.
async function send(path: string) { for (let t = 0; ; t++) { try { return await pool.request({ method: "POST", path, body: "1", headers: { "content-type": "application/json" } }); } catch (e) { if (t >= 3) throw e; } } }
async function conc(pathOf: (i: number) => string, n: number) { const c0 = cpu(); const s = performance.now(); let next = 0; await Promise.all(Array.from({ length: 64 }, async () => { while (next < n) { const i = next++; const r = await send(pathOf(i)); await r.body.text(); } })); const wall = performance.now() - s; return { rps: n / (wall / 1000), cpu: (cpu() - c0) / n }; }
for (const [, p] of [["floor", "/floor"], ["ours", "/counter"]]) await conc((i) => `${p}/k${i % 1000}/add`, 1000);
const results: Record<string, { rps: number; cpu: number }[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, p] of [["floor", "/floor"], ["ours", "/counter"]] as const) {
    await pause();
    (results[`${name} hot`] ??= []).push(await conc(() => `${p}/hot/add`, N));
    await pause();
    (results[`${name} keys`] ??= []).push(await conc((i) => `${p}/k${i % 1000}/add`, N));
  }
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
for (const [k, v] of Object.entries(results)) console.log(k.padEnd(12), v.map((r) => `${r.rps.toFixed(0)}/s cpu ${r.cpu.toFixed(3)}`).join("  |  "), ` median cpu ${median(v.map((r) => r.cpu)).toFixed(3)} ms/req, ${median(v.map((r) => r.rps)).toFixed(0)}/s`);
for (const w of ["hot", "keys"]) console.log(`ratio ${w}: cpu floor/ours ${(median(results[`floor ${w}`]!.map((r) => r.cpu)) / median(results[`ours ${w}`]!.map((r) => r.cpu))).toFixed(2)}  rps ours/floor ${(median(results[`ours ${w}`]!.map((r) => r.rps)) / median(results[`floor ${w}`]!.map((r) => r.rps))).toFixed(2)}`);
await pool.close(); await mf.dispose();
