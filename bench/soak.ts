/**
 * Soak: 10,000 stateless-service invocations and 10,000 distinct virtual-object
 * keys (10,000 Durable Objects) in ONE local workerd, over HTTP with a
 * keep-alive undici client. Checks every response, verifies a sample of the
 * objects' state, and that the runtime still answers at the end. Then, in a
 * second workerd, 10,000 workflow ids (bench's three-step workflow): Cloudflare
 * Workflows, one Durable Object per instance, fails locally at ~2,700.
 *
 *   npm run soak                 # 10,000 + 10,000 + 10,000 workflows
 *   npm run soak -- --count 2000 # smaller
 */
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { Pool } from "undici";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { execSync } from "node:child_process";

const count = Number(process.argv[process.argv.indexOf("--count") + 1] || 10_000) || 10_000;
const CONCURRENCY = 32;

/** Bundles `entry` and starts it in a fresh workerd with its own storage. */
async function start(entry: string, durableObjects: Record<string, string>): Promise<{ pool: Pool; stop(): Promise<void> }> {
  mkdirSync(resolve(".wrangler/soak"), { recursive: true });
  const dir = mkdtempSync(resolve(".wrangler/soak/run-"));
  await build({ entryPoints: [entry], outfile: `${dir}/worker.js`, bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent" });
  const mf = new Miniflare({
    modules: true,
    scriptPath: `${dir}/worker.js`,
    compatibilityDate: "2026-04-20",
    durableObjects: Object.fromEntries(Object.entries(durableObjects).map(([binding, className]) => [binding, { className, useSQLite: true }])),
    durableObjectsPersist: `${dir}/state`,
    host: "127.0.0.1",
    port: 0,
  });
  const url = await mf.ready;
  const pool = new Pool(url.origin, { connections: CONCURRENCY, pipelining: 1 });
  return {
    pool,
    async stop() {
      await pool.close();
      await mf.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const failed = (await soakExamples()) + (await soakWorkflows());
  console.log(failed === 0 ? "\nSOAK PASSED" : `\nSOAK FAILED (${failed} errors)`);
  process.exitCode = failed === 0 ? 0 : 1;
}

/** Services and object keys, in the examples' Worker. */
async function soakExamples(): Promise<number> {
  const { pool, stop } = await start("examples/main.ts", { RESOLUTE: "ResoluteObject" });
  try {
    const services = await phase(`${count} service invocations (greeter.greet)`, count, (i) => call(pool, "/greeter/greet", `user-${i}`, `Hello, user-${i}!`));
    const objects = await phase(`${count} distinct object keys (counter/<key>/add)`, count, (i) => call(pool, `/counter/soak-${i}/add`, 1, 1));
    let sampleErrors = 0;
    for (let i = 0; i < count; i += Math.max(1, Math.floor(count / 100))) {
      if (!(await call(pool, `/counter/soak-${i}/get`, undefined, 1))) sampleErrors++;
    }
    const alive = await call(pool, "/greeter/greet", "still-up", "Hello, still-up!");
    const rss = workerdRssMiB();
    console.log(`sample of objects verified: ${sampleErrors === 0 ? "ok" : `${sampleErrors} wrong`}; runtime still answering: ${alive ? "yes" : "NO"}; workerd RSS: ${rss} MiB`);
    return services.errors + objects.errors + sampleErrors + (alive ? 0 : 1);
  } finally {
    await stop();
  }
}

/** Workflow ids, each run to completion, in the benchmark's Worker (three-step workflow). */
async function soakWorkflows(): Promise<number> {
  const { pool, stop } = await start("bench/worker.ts", { RESOLUTE: "ResoluteObject", FLOOR: "FloorObject", CHAIN_FLOOR: "ChainFloorObject" });
  const output = (id: string) => ({ id, steps: [1, 2, 3].map((step) => ({ step, id })) });
  try {
    const workflows = await phase(`${count} workflow ids (threeSteps/<id>/run)`, count, (i) => call(pool, `/threeSteps/soak-${i}/run`, {}, output(`soak-${i}`)));
    let sampleErrors = 0;
    for (let i = 0; i < count; i += Math.max(1, Math.floor(count / 100))) {
      if (!(await call(pool, `/restate/workflow/threeSteps/soak-${i}/output`, undefined, output(`soak-${i}`), "GET"))) sampleErrors++;
    }
    const alive = await call(pool, "/threeSteps/soak-still-up/run", {}, output("soak-still-up"));
    console.log(`sample of outputs verified: ${sampleErrors === 0 ? "ok" : `${sampleErrors} wrong`}; runtime still answering: ${alive ? "yes" : "NO"}; workerd RSS: ${workerdRssMiB()} MiB`);
    return workflows.errors + sampleErrors + (alive ? 0 : 1);
  } finally {
    await stop();
  }
}

async function phase(label: string, n: number, run: (i: number) => Promise<boolean>): Promise<{ errors: number }> {
  const started = Date.now();
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      if (!(await run(i))) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (Date.now() - started) / 1000;
  console.log(`${label}: ${n - errors}/${n} ok, ${errors} errors, ${seconds.toFixed(1)} s, ${(n / seconds).toFixed(0)}/s`);
  return { errors };
}

let reported = 0;
async function call(pool: Pool, path: string, body: unknown, expected: unknown, method: "POST" | "GET" = "POST"): Promise<boolean> {
  try {
    const res = await pool.request({ method, path, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.body.text();
    const ok = res.statusCode === 200 && JSON.stringify(JSON.parse(text)) === JSON.stringify(expected);
    if (!ok && reported++ < 5) console.error(`unexpected answer for ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
    return ok;
  } catch (e) {
    if (reported++ < 5) console.error(`request ${path} failed: ${String(e)}`);
    return false;
  }
}

function workerdRssMiB(): string {
  try {
    const kb = execSync("ps -C workerd -o rss= | sort -n | tail -1").toString().trim();
    return (Number(kb) / 1024).toFixed(0);
  } catch {
    return "?";
  }
}

void main();
