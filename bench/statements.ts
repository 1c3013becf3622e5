/**
 * `node --import tsx bench/statements.ts [tree] [--path /chainA/{i}/hop] [--calls 200]`: SQL
 * statements per call, exact (issue 14), where the A/B's CPU figures are noisy. Builds the
 * bench Worker of `tree` (default: the working tree; a `git worktree` of another revision
 * compares it) with every object's `sql.exec` counted by statement text, warms `calls` keys
 * ({i}: that many keys, each visited again within seconds, so no object is evicted between;
 * {n}: a new key per call), counts `calls` calls sequentially, and prints each statement's
 * count per call and the total. The counting wraps only this build's entry, not src/.
 */
import { rmSync } from "node:fs";
import { serveWrapped } from "./harness/wrapped-worker.js";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const tree = resolve(args[0] && !args[0].startsWith("--") ? args[0] : ".");
const path = option("--path", "/chainA/{i}/hop");
const calls = Number(option("--calls", "200"));

const ENTRY = `
import worker, { ResoluteObject as Base, FloorObject, ChainFloorObject, ThreeSteps } from ${JSON.stringify(join(tree, "bench/worker.ts"))};
const counts = {};
function wrap(sql) {
  const exec = sql.exec.bind(sql);
  sql.exec = (q, ...b) => { const k = q.replace(/\\s+/g, " ").trim().slice(0, 110); counts[k] = (counts[k] ?? 0) + 1; return exec(q, ...b); };
}
export class ResoluteObject extends Base { constructor(ctx, env) { wrap(ctx.storage.sql); super(ctx, env); } }
export { FloorObject, ChainFloorObject, ThreeSteps };
export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname !== "/__statements") return worker.fetch(request, env, ctx);
    const out = { ...counts };
    for (const k of Object.keys(counts)) delete counts[k];
    return Response.json(out);
  },
};`;

const dir = resolve(".wrangler", "statements", String(process.pid));
const mf = await serveWrapped(dir, ENTRY);
try {
  const origin = (await mf.ready).origin;
  let n = 0;
  const call = async () => {
    const target = path.replace("{i}", `k${n % calls}`).replace("{n}", `s${n}`);
    n++;
    const r = await fetch(origin + target, { method: "POST", body: "1", headers: { "content-type": "application/json" } });
    await r.text();
    if (r.status >= 300) throw new Error(`${target}: ${r.status}`);
  };
  const counted = async (): Promise<Record<string, number>> => (await fetch(origin + "/__statements")).json() as Promise<Record<string, number>>;
  for (let i = 0; i < calls; i++) await call();
  await new Promise((r) => setTimeout(r, 300));
  await counted();
  for (let i = 0; i < calls; i++) await call();
  await new Promise((r) => setTimeout(r, 1500)); // batched index sends, alarms: their statements count too
  let total = 0;
  let writes = 0;
  for (const [query, count] of Object.entries(await counted()).sort((a, b) => b[1] - a[1])) {
    total += count;
    if (!/^(SELECT|WITH)\b/i.test(query)) writes += count;
    console.log((count / calls).toFixed(2).padStart(7), query);
  }
  console.log(`${(total / calls).toFixed(2)} statements per call (${(writes / calls).toFixed(2)} writes), ${path}, ${calls} calls`);
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
}
