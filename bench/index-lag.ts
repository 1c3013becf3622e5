/**
 * `node --import tsx bench/index-lag.ts [--seconds 10] [--keys 1000]`: how long an
 * invocation's change takes to reach the invocation index (issue #13), on the bench
 * Worker served by Miniflare. While 64 clients run W3 (`counter.add`) over `--keys`
 * keys, a poller asks `POST /restate/admin/query` every 50 ms for rows modified since
 * the last poll; each row's lag is the time it was first seen minus its modified_at
 * (the owner's clock, the same machine clock). So the figures include up to 50 ms of
 * polling granularity. Then the same for 50 sequential requests on an idle Worker, and for 20
 * sends delayed by an hour (an invocation still unfinished: its first row waits in the sender
 * up to HOLD_MS for a final one, index-sender.ts), from the response until it is listed.
 */
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { Pool } from "undici";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const seconds = option("--seconds", 10);
const keys = option("--keys", 1000);
const TOKEN = "bench-token";

const dir = resolve(".wrangler", "index-lag");
mkdirSync(dir, { recursive: true });
await build({ entryPoints: ["bench/worker.ts"], outfile: join(dir, "worker.js"), bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent" });
const mf = new Miniflare({
  modules: true, scriptPath: join(dir, "worker.js"), compatibilityDate: "2026-04-20",
  durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true }, FLOOR: { className: "FloorObject", useSQLite: true } },
  workflows: { CF_WF: { name: "three-steps", className: "ThreeSteps" } },
  bindings: { RESOLUTE_ADMIN_TOKEN: TOKEN },
  durableObjectsPersist: join(dir, `state-${Date.now()}`), host: "127.0.0.1", port: 0,
});
const pool = new Pool((await mf.ready).origin, { connections: 66 });

async function post(path: string, body: string, headers: Record<string, string> = {}, retries = 2): Promise<{ text: string; id: string }> {
  let r;
  try {
    r = await pool.request({ method: "POST", path, body, headers: { "content-type": "application/json", ...headers } });
  } catch (error) {
    // workerd sometimes closes a keep-alive connection as the next request is sent on it.
    if (retries > 0 && /ECONNRESET|other side closed|UND_ERR_SOCKET/.test(String((error as { code?: string }).code ?? error))) return post(path, body, headers, retries - 1);
    throw error;
  }
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${path}: ${r.statusCode} ${text}`);
  return { text, id: String(r.headers["x-restate-id"] ?? "") };
}

async function indexed(since: string): Promise<{ id: string; modified_at: string }[]> {
  const query = `SELECT id, modified_at FROM sys_invocation WHERE modified_at >= '${since}' ORDER BY modified_at LIMIT 1000`;
  const { text } = await post("/restate/admin/query", JSON.stringify({ query }), { authorization: `Bearer ${TOKEN}`, accept: "application/json" });
  return (JSON.parse(text) as { rows: { id: string; modified_at: string }[] }).rows;
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const summary = (label: string, lags: number[]) => {
  const s = [...lags].sort((a, b) => a - b);
  console.log(`${label}: ${s.length} rows, lag p50 ${pct(s, 0.5)} ms, p90 ${pct(s, 0.9)} ms, p99 ${pct(s, 0.99)} ms, max ${s.at(-1)} ms`);
};

try {
  for (let k = 0; k < keys; k++) await post(`/counter/lag${k}/add`, "1"); // every object exists and is warm
  await new Promise((r) => setTimeout(r, 1_000));
  // Under load: 64 clients for `seconds`, a poller every 50 ms.
  const seen = new Set<string>();
  const lags: number[] = [];
  let since = new Date().toISOString();
  const end = Date.now() + seconds * 1_000;
  let n = 0;
  const clients = Array.from({ length: 64 }, async () => { while (Date.now() < end) await post(`/counter/lag${n++ % keys}/add`, "1"); });
  const poller = (async () => {
    while (Date.now() < end + 2_000) {
      const rows = await indexed(since);
      const now = Date.now();
      for (const row of rows) {
        const key = `${row.id}@${row.modified_at}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (Date.parse(row.modified_at) >= end - seconds * 1_000) lags.push(now - Date.parse(row.modified_at));
      }
      if (rows.length) since = rows.at(-1)!.modified_at;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.all([...clients, poller]);
  console.log(`${n} requests in ${seconds} s (${Math.round(n / seconds)}/s), ${keys} keys`);
  summary("under load", lags);
  // Idle: one request at a time, polled until its row is there.
  const idle: number[] = [];
  for (let i = 0; i < 50; i++) {
    const before = new Date(Date.now() - 1).toISOString();
    const { id } = await post(`/counter/idle${i}/add`, "1");
    const done = Date.now();
    while (!(await indexed(before)).some((r) => r.id === id)) await new Promise((r) => setTimeout(r, 10));
    idle.push(Date.now() - done);
  }
  summary("idle, sequential (from the response)", idle);
  const unfinished: number[] = [];
  for (let i = 0; i < 20; i++) {
    const { text } = await post(`/counter/late${i}/add/send?delay=1h`, "1");
    const id = (JSON.parse(text) as { invocationId: string }).invocationId;
    const done = Date.now();
    const query = `SELECT id FROM sys_invocation WHERE target_service_key = 'late${i}' AND status = 'scheduled'`;
    const listed = async () => (JSON.parse((await post("/restate/admin/query", JSON.stringify({ query }), { authorization: `Bearer ${TOKEN}`, accept: "application/json" })).text) as { rows: { id: string }[] }).rows.some((r) => r.id === id);
    while (!(await listed())) await new Promise((r) => setTimeout(r, 10));
    unfinished.push(Date.now() - done);
  }
  summary("unfinished (scheduled an hour ahead), sequential (from the response)", unfinished);
} finally {
  await pool.close();
  await mf.dispose();
}
