import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { Pool } from "undici";
import { mkdirSync, readFileSync } from "node:fs";
import { execSync } from "node:child_process";
mkdirSync(".wrangler/quick", { recursive: true });
await build({ entryPoints: ["bench/worker.ts"], outfile: ".wrangler/quick/worker.js", bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent" });
const mf = new Miniflare({ modules: true, scriptPath: ".wrangler/quick/worker.js", compatibilityDate: "2026-04-20",
  durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true }, FLOOR: { className: "FloorObject", useSQLite: true } }, durableObjectsPersist: ".wrangler/quick/state-" + Date.now(), host: "127.0.0.1", port: 0 });
const url = await mf.ready; const pool = new Pool(url.origin, { connections: 64 });
const pids = execSync("pgrep -f 'workerd serve'").toString().trim().split("\n");
const cpu = () => pids.reduce((sum, pid) => { try { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return sum + Number(f[11]) + Number(f[12]); } catch { return sum; } }, 0) * 10; // ms
async function conc(pathOf: (i: number) => string, n: number) { const c0 = cpu(); const s = performance.now(); let next = 0; await Promise.all(Array.from({ length: 64 }, async () => { while (next < n) { const i = next++; const r = await pool.request({ method: "POST", path: pathOf(i), body: "1", headers: {"content-type":"application/json"} }); await r.body.text(); } })); const wall = performance.now() - s; return `${(n / (wall / 1000)).toFixed(0)}/s cpu ${((cpu() - c0) / n).toFixed(3)} ms/req`; }
for (const [, p] of [["floor", "/floor"], ["ours", "/counter"]]) await conc((i) => `${p}/k${i % 1000}/add`, 1000);
const results: Record<string, string[]> = {};
for (let round = 0; round < 3; round++) {
  for (const [name, p] of [["floor", "/floor"], ["ours", "/counter"]] as const) {
    (results[`${name} hot`] ??= []).push(await conc(() => `${p}/hot/add`, 3000));
    (results[`${name} keys`] ??= []).push(await conc((i) => `${p}/k${i % 1000}/add`, 3000));
  }
}
for (const [k, v] of Object.entries(results)) console.log(k.padEnd(12), v.join("  |  "));
await pool.close(); await mf.dispose();
