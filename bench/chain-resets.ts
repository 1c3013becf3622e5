/**
 * `node --import tsx bench/chain-resets.ts [--spin 300]`: the connection resets the chain
 * phases show under Miniflare (issue 14), reproduced without Resolute. A trivial Worker (no
 * Durable Object, no SQLite) serves 64 keep-alive clients; one request holds workerd's event
 * loop in a synchronous loop for a while. Measured (2026-12-01, this VM): stalls of 0.5, 4.2 and
 * 5.0 s failed no call; 5.5, 5.7, 12, 15 and 58 s each failed 49–64 of the 64 connections at
 * once, as `read ECONNRESET` and `other side closed`, the two kinds (in about the same
 * proportion, 2:1) the chain's `fresh` and `spread` phases record.
 *
 * Why: kj's HTTP server closes a keep-alive connection whose next request has not arrived
 * within `pipelineTimeout` (5 s) of its last response, measured on the event loop's clock,
 * which only advances when the loop waits for I/O. After a stall, the expired timers and the
 * requests that arrived meanwhile fire together, and where the timer goes first the connection
 * is closed with its request unread (RST: ECONNRESET) or half read. The chain's phases stall
 * the loop that long when it is CPU-bound (64 clients creating ~130 objects at once, ~4 ms of
 * CPU per call, on a shared 2-core machine); such a request was never read, so never run.
 */
import { Miniflare } from "miniflare";
import { Pool } from "undici";

const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
/** Millions of loop turns the stalling request spins (workerd's clock stands still inside a request, so it counts). */
const spin = Number(arg("--spin", "300"));
const script = `export default { async fetch(request) {
  const n = Number(new URL(request.url).searchParams.get("spin") ?? "0");
  let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) | 0;
  return new Response(String(x));
} };`;
const mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-04-20", host: "127.0.0.1", port: 0 });
const origin = (await mf.ready).origin;
const pool = new Pool(origin, { connections: 64 });
const errors: Record<string, number> = {};
let ok = 0;
let stop = false;
const clients = Array.from({ length: 64 }, async () => {
  while (!stop) {
    try {
      const r = await pool.request({ method: "GET", path: "/" });
      await r.body.text();
      ok++;
    } catch (error) {
      const kind = String(error).slice(0, 60);
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
  }
});
await new Promise((r) => setTimeout(r, 1000));
const staller = new Pool(origin, { connections: 1 });
const started = performance.now();
await (await staller.request({ method: "GET", path: `/?spin=${spin * 1_000_000}` })).body.text();
console.log(`the stalling request (${spin}M turns) took ${(performance.now() - started).toFixed(0)} ms`);
await new Promise((r) => setTimeout(r, 2000));
stop = true;
await Promise.all(clients);
console.log(`64 clients: ${ok} calls answered; failed: ${JSON.stringify(errors)}`);
await Promise.all([pool.close(), staller.close()]);
await mf.dispose();
