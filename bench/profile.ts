/**
 * CPU profile of the Worker + Durable Objects under a W3 load, through workerd's
 * inspector (Chrome DevTools protocol). Prints the functions with the most self
 * time. Usage: npm run profile -- [--path /counter/hot/add] [--requests 4000] [--clients 64]
 * In the path, {i} is the request number modulo 1,000 (1,000 keys) and {n} the request
 * number (a new id each time, e.g. --path /threeSteps/w{n}/run).
 */
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { Pool } from "undici";
// @ts-expect-error ws ships no types; this script only needs its basic client.
import WebSocket from "ws";
import { mkdirSync, writeFileSync } from "node:fs";

const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const path = arg("--path", "/counter/hot/add");
const requests = Number(arg("--requests", "4000"));
const clients = Number(arg("--clients", "64"));
const INSPECTOR_PORT = 9329;

mkdirSync(".wrangler/profile", { recursive: true });
await build({ entryPoints: ["bench/worker.ts"], outfile: ".wrangler/profile/worker.js", bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent", keepNames: true });
const mf = new Miniflare({
  modules: true, scriptPath: ".wrangler/profile/worker.js", compatibilityDate: "2026-04-20", inspectorPort: INSPECTOR_PORT,
  durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true }, FLOOR: { className: "FloorObject", useSQLite: true } }, host: "127.0.0.1", port: 0,
});
const url = await mf.ready;
const pool = new Pool(url.origin, { connections: 64 });
let phase = 0;
const load = async (n: number) => {
  let next = 0;
  phase++;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) { next++; const r = await pool.request({ method: "POST", path: path.replace("{i}", String(next % 1000)).replace("{n}", `${phase}-${next}`), body: "1", headers: { "content-type": "application/json" } }); await r.body.text(); }
  }));
};
await load(500);
const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
const ws = new WebSocket(targets.find((t) => !t.title.includes("internal"))?.webSocketDebuggerUrl ?? targets[0]!.webSocketDebuggerUrl);
await new Promise((r) => ws.once("open", r));
let id = 0;
const pending = new Map<number, (v: any) => void>();
ws.on("message", (data: unknown) => { const msg = JSON.parse(String(data)); pending.get(msg.id)?.(msg.result); });
const send = (method: string, params: object = {}) => new Promise<any>((resolve) => { pending.set(++id, resolve); ws.send(JSON.stringify({ id, method, params })); });
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
const started = performance.now();
await load(requests);
const seconds = (performance.now() - started) / 1000;
const { profile } = await send("Profiler.stop");
ws.close();
await pool.close();
await mf.dispose();

writeFileSync(".wrangler/profile/last.cpuprofile", JSON.stringify(profile));
const self = new Map<string, number>();
const dt = profile.timeDeltas as number[];
const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
profile.samples.forEach((nodeId: number, i: number) => {
  const node = byId.get(nodeId);
  const f = node.callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`${requests} requests to ${path} in ${seconds.toFixed(2)} s (${(requests / seconds).toFixed(0)}/s); sampled ${(total / 1000).toFixed(0)} ms`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
