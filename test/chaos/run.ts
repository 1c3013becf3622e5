/**
 * `npm run chaos`: SIGKILLs the whole local runtime (wrangler dev and every
 * workerd) repeatedly under a mixed load, restarts it on the same state, drains,
 * and checks every invariant (test/chaos/check.ts). Prints a table; exit code 1
 * on any violation.
 *
 *   npm run chaos                           # 10 crashes, 8 clients
 *   npm run chaos -- --crashes 55 --clients 12 --seed 7
 *   npm run chaos -- --short                # CI: 3 crashes, about a minute
 *
 * Flags: --crashes N (0: a control run without kills, as long as --duration),
 * --clients N, --duration S (the load's time budget), --uptime A-B (seconds up
 * between kills), --keys N (counter keys), --requests N (at most N operations),
 * --drain S, --seed S, --short, --keep (keep the state), --burst N (sends to the limited
 * service at the start, default 1,000; 0: none). CHAOS_WRANGLER_LOG=log
 * shows the Worker's console output in the kept wrangler log.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { bundleWorker } from "../../bench/harness/server.js";
import { check } from "./check.js";
import { ChaosClient } from "./client.js";
import { DevRuntime } from "./dev-runtime.js";
import { crashRepeatedly, startBurst, startLoad, uptimeMs } from "./load.js";
import { LIMITED_CONCURRENCY } from "./protocol.js";
import { drain, observe } from "./observe.js";
import { EffectRecorder } from "./recorder.js";
import { renderReport } from "./report.js";

const CONFIG = "test/chaos/wrangler.toml";
/** Time left to read the final state once the drain ended. */
const OBSERVE_MS = 60_000;

interface Options {
  crashes: number;
  clients: number;
  durationS: number;
  uptime: { min: number; max: number };
  keys: number;
  requests: number;
  drainS: number;
  seed: string;
  keep: boolean;
  burst: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      crashes: { type: "string" }, clients: { type: "string" }, duration: { type: "string" }, uptime: { type: "string" },
      keys: { type: "string" }, requests: { type: "string" }, drain: { type: "string" }, seed: { type: "string" },
      short: { type: "boolean" }, keep: { type: "boolean" }, burst: { type: "string" },
    },
  });
  const short = values.short === true;
  const [min, max] = (values.uptime ?? (short ? "4-8" : "3-8")).split("-").map(Number);
  const options: Options = {
    crashes: whole(values.crashes, short ? 3 : 10, "crashes", 0),
    clients: whole(values.clients, short ? 6 : 8, "clients"),
    durationS: whole(values.duration, short ? 90 : 900, "duration"),
    uptime: { min: min!, max: max ?? min! },
    keys: whole(values.keys, 8, "keys"),
    requests: whole(values.requests, 20_000, "requests"),
    drainS: whole(values.drain, short ? 60 : 90, "drain"),
    seed: values.seed ?? String(Math.floor(Math.random() * 1e9)),
    keep: values.keep === true,
    burst: whole(values.burst, 1_000, "burst", 0),
  };
  if (!(options.uptime.min > 0 && options.uptime.max >= options.uptime.min)) throw new Error(`--uptime must be A-B seconds with 0 < A <= B, not '${values.uptime}'`);
  return options;
}

function whole(text: string | undefined, fallback: number, name: string, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number from ${min}, not '${text}'`);
  return value;
}

/** When the run's load started (ms since the epoch): times in the log are seconds from it. */
let runStarted = 0;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const cwd = resolve(import.meta.dirname, "../..");
  const dir = mkdtempSync(join(tmpdir(), "resolute-chaos-"));
  console.log(`chaos: ${options.crashes} crashes, ${options.clients} clients, uptime ${options.uptime.min}-${options.uptime.max} s, seed ${options.seed}; state in ${dir}`);
  const recorder = await EffectRecorder.start();
  const bundle = await bundleWorker({ cwd, config: CONFIG });
  const runtime = new DevRuntime({ cwd, config: CONFIG, bundle, persistTo: join(dir, "state"), logPath: join(dir, "wrangler.log"), vars: { RECORDER_URL: recorder.url } });
  let violations = 1;
  try {
    violations = await chaos(options, runtime, recorder);
  } catch (error) {
    console.error(`chaos: the run failed: ${error instanceof Error ? error.message : String(error)}\nwrangler's last lines:\n${runtime.logTail()}`);
  } finally {
    await runtime.stop();
    await recorder.stop();
    bundle.dispose();
    if (violations === 0 && !options.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`chaos: state and wrangler's log kept in ${dir}`);
  }
  console.log(violations === 0 ? "CHAOS PASSED" : `CHAOS FAILED (reproduce: npm run chaos -- ${reproduceFlags(options)})`);
  return violations === 0 ? 0 : 1;
}

/** The run itself: load and kills, drain, observe, check. Resolves the number of violations. */
async function chaos(options: Options, runtime: DevRuntime, recorder: EffectRecorder): Promise<number> {
  const started = Date.now();
  runStarted = started;
  const loadDeadline = started + options.durationS * 1000;
  let drainDeadline = loadDeadline + options.drainS * 1000;
  const client = new ChaosClient(() => runtime.url, () => drainDeadline, options.clients * 2);
  await runtime.start();
  let stopped = false;
  const load = startLoad({ client, clients: options.clients, keys: options.keys, seed: options.seed, maxOps: options.requests, stopped: () => stopped || Date.now() >= loadDeadline });
  const burst = startBurst(client, options.burst, load.ops).then(() => {
    if (options.burst > 0) console.log(`burst of ${options.burst} limited sends accepted at ${((Date.now() - started) / 1000).toFixed(0)} s; they run 5 at a time per limit key from there`);
  });
  const kills = await crashRepeatedly({
    runtime, crashes: options.crashes, seed: options.seed, uptime: options.uptime, deadline: loadDeadline,
    onKill: (crash, report) => console.log(`crash ${crash}/${options.crashes} at ${((Date.now() - started) / 1000).toFixed(0)} s: SIGKILLed ${report.killed} processes, ${report.survivors.length} survived, restarted in ${(report.restartMs / 1000).toFixed(1)} s; ${load.ops.length} operations so far, ${load.ops.filter((op) => op.endedAt === 0).length} unanswered`),
  });
  // The load goes on for one more uptime after the last restart, then stops; without crashes
  // (a control run) it lasts the whole --duration.
  const tail = options.crashes === 0 ? Infinity : uptimeMs(0.5, options.uptime);
  await sleep(Math.min(tail, Math.max(0, loadDeadline - Date.now())));
  stopped = true;
  await load.issued;
  await burst;
  drainDeadline = Date.now() + options.drainS * 1000;
  console.log(`load stopped after ${load.ops.length} operations; draining (at most ${options.drainS} s)`);
  const drained = await drain(load.ops, load.settled(), recorder, drainDeadline);
  const reader = new ChaosClient(() => runtime.url, () => Date.now() + OBSERVE_MS, 8);
  try {
    const observed = await observe(reader, load.ops, recorder, drained ? Date.now() + 5_000 : Date.now());
    const limited = { limit: LIMITED_CONCURRENCY, maxInFlight: recorder.maxInFlight };
    const burstRuns = load.ops.filter((op) => op.id.startsWith("burst-")).flatMap((op) => recorder.executions.get(op.id) ?? []);
    if (burstRuns.length > 0) console.log(`the burst's steps ran from ${seconds(Math.min(...burstRuns.map((r) => r.at)))} to ${seconds(Math.max(...burstRuns.map((r) => r.at)))} s; kills at ${kills.killedAt.map(seconds).join(", ")} s`);
    const verdict = check({ ...observed, ...kills, limited });
    const effects = { total: recorder.total, distinct: recorder.distinct };
    console.log(`\n${renderReport({ crashes: kills.killedAt.length, ops: load.ops, stats: client.stats, effects, verdict, drained, elapsedMs: Date.now() - started, limited })}\n`);
    return verdict.violations.length;
  } finally {
    await Promise.all([client.close(), reader.close()]);
  }
}

function seconds(at: number): string {
  return ((at - runStarted) / 1000).toFixed(1);
}

function reproduceFlags(options: Options): string {
  return [
    `--seed ${options.seed}`, `--crashes ${options.crashes}`, `--clients ${options.clients}`,
    `--uptime ${options.uptime.min}-${options.uptime.max}`, `--keys ${options.keys}`, `--requests ${options.requests}`, `--burst ${options.burst}`,
  ].join(" ");
}

process.exitCode = await main();
