/**
 * `npm run bench [-- flags]`: bundles the benchmark Worker (bench/worker.ts), and for
 * every workload and round starts it with `wrangler dev` on loopback, runs the
 * scenarios against Resolute and its baseline and stops it; then prints a markdown
 * table and writes bench/results/<workloads>-<date>T<hhmm>[-quick][-partial].json.
 *
 *   --quick              smaller counts and shorter runs
 *   --repeat <n>         run every scenario n times (alternating systems) and report medians
 *   --workload <id>      only this workload: w3, chain, dup, workflows, w3-limited (repeatable, or comma-separated)
 *   --scenario <id>      only this scenario, e.g. w3-hot (repeatable, or comma-separated)
 *   --only <system>      only this system, e.g. floor, resolute, cf-workflows (repeatable, or comma-separated)
 *   --url <origin>       use a Worker that is already running instead of starting one per session
 *   --config <path>      wrangler config to start (default bench/wrangler.toml)
 *
 * Load goes through wrangler dev's reload proxy, as a developer's requests do, except
 * for scenarios that compare engines (wf-latency), which send theirs past it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Http } from "./harness/load.js";
import { listProblems, listProxyDrops, medianOutcome, renderMarkdown, scenarioReport, writeJson, type Outcome, type ScenarioReport } from "./harness/report.js";
import { bundleWorker, startDevServer, type Bundle, type DevServer } from "./harness/server.js";
import type { Measurement, RunContext, Target, Workload } from "./harness/types.js";
import { WORKLOADS } from "./scenarios/index.js";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);

interface Options {
  quick: boolean;
  repeat: number;
  systems?: Set<string>;
  scenarios?: Set<string>;
  workloads?: Set<string>;
  url?: string;
  config: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      repeat: { type: "string", default: "1" },
      only: { type: "string", multiple: true },
      scenario: { type: "string", multiple: true },
      workload: { type: "string", multiple: true },
      url: { type: "string" },
      config: { type: "string", default: join(relative(ROOT, BENCH_DIR), "wrangler.toml") },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]!.replace(/^\/\*\*|^ \* ?/gm, ""));
    process.exit(0);
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new Error(`--repeat takes a whole number from 1 to 20, not '${values.repeat}'`);
  const set = (list?: string[]) => (list ? new Set(list.flatMap((v) => v.split(",")).map((v) => v.trim())) : undefined);
  return {
    quick: values.quick!,
    repeat,
    systems: set(values.only),
    scenarios: set(values.scenario),
    workloads: set(values.workload),
    ...(values.url ? { url: values.url.replace(/\/$/, "") } : {}),
    config: values.config!,
  };
}

/** A misspelt name would otherwise silently measure less than asked. */
function checkNames(options: Options): void {
  const known = {
    "--workload": WORKLOADS.map((w) => w.id),
    "--only": WORKLOADS.flatMap((w) => [w.baseline.system, w.subject.system]),
    "--scenario": WORKLOADS.flatMap((w) => w.scenarios.map((s) => s.id)),
  };
  const given = { "--workload": options.workloads, "--only": options.systems, "--scenario": options.scenarios };
  for (const [flag, names] of Object.entries(given) as [keyof typeof known, Set<string> | undefined][]) {
    const unknown = [...(names ?? [])].filter((n) => !known[flag].includes(n));
    if (unknown.length > 0) throw new Error(`Unknown ${flag} ${unknown.join(", ")}; known: ${[...new Set(known[flag])].join(", ")}`);
  }
}

/** The targets of a workload that the flags select, baseline first. */
function targetsOf(workload: Workload, options: Options): Target[] {
  return [workload.baseline, workload.subject].filter((t) => !options.systems || options.systems.has(t.system));
}

async function isEveryTargetReady(origin: string, targets: Target[]): Promise<boolean> {
  const http = new Http(origin, 1);
  try {
    for (const target of targets) if (!(await target.isReady(http))) return false;
    return true;
  } finally {
    await http.close();
  }
}

/**
 * One session per workload and round, each on a fresh `wrangler dev`: locally
 * workerd never evicts a Durable Object, and one process holds only about 2,100
 * of Resolute's SQLite-backed objects (2,900 bare ones) before SQLite fails with
 * SQLITE_NOMEM, while W3 alone creates ~2,070 per round. A fresh process also keeps
 * one workload's leftovers (objects, pending alarms) from slowing the next. Within
 * a session, every target warms up, then each scenario runs on the baseline and the
 * subject back to back, so a change in background load skews both sides alike.
 * With --repeat, each figure is the median of the rounds.
 */
/**
 * workerd evicts an idle object about 10 s after its last request, on the same
 * thread that serves requests (~0.35 ms of CPU each). Without a pause, the
 * evictions of one run's 1,000 objects land inside the next run's measurement
 * (the next system's, given the alternating order) and show up as a latency tail.
 */
const EVICTION_GAP_MS = 12_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runWorkload(workload: Workload, options: Options, base: Base): Promise<ScenarioReport[]> {
  const scenarios = workload.scenarios.filter((s) => !options.scenarios || options.scenarios.has(s.id));
  const targets = targetsOf(workload, options);
  const runs = new Map<string, Outcome[]>(); // by `${scenario}/${system}`
  for (let round = 1; round <= options.repeat; round++) {
    const label = options.repeat > 1 ? ` (round ${round}/${options.repeat})` : "";
    const opened = await openSession(options, base, targets, `${workload.id}${label}`).catch((e: unknown) => messageOf(e));
    if (typeof opened === "string") {
      base.log(`${workload.id}${label}: ${opened}`);
      for (const scenario of scenarios) for (const t of targets) record(runs, `${scenario.id}/${t.system}`, { ok: false, error: opened });
      continue;
    }
    const session = opened;
    let troubled = false;
    try {
      const ctx: RunContext = { origin: session.origin, directOrigin: session.directOrigin, quick: options.quick, runId: `${base.runId}${workload.id}${round}`, log: base.log };
      const setUpError = workload.prepare ? await attempt(() => workload.prepare!(ctx)) : undefined;
      const warmUpErrors = new Map<string, string>();
      for (const target of targets) {
        if (setUpError) {
          warmUpErrors.set(target.system, `set-up failed: ${setUpError}`);
          continue;
        }
        ctx.log(`${workload.id} / ${target.system}: warming up${label}`);
        await workload.warmUp(target, ctx).catch((e: unknown) => warmUpErrors.set(target.system, `warm-up failed: ${messageOf(e)}`));
      }
      await pause(EVICTION_GAP_MS);
      for (const scenario of scenarios) {
        for (const target of targets) {
          const warmUpError = warmUpErrors.get(target.system);
          const primeError = warmUpError ?? (target.prime ? await attempt(() => target.prime!(ctx)) : undefined);
          const outcome: Outcome = primeError ? { ok: false, error: warmUpError ? primeError : `priming failed: ${primeError}` } : await measure(() => scenario.run(target, ctx));
          const id = `${scenario.id}/${target.system}`;
          record(runs, id, outcome);
          troubled ||= !outcome.ok || outcome.measurement.errors > 0 || outcome.measurement.problems.length > 0;
          ctx.log(`${id}${label}: ${summarize(outcome, scenario.unit)}`);
          if (scenario.touchesManyObjects) await pause(EVICTION_GAP_MS);
        }
      }
    } finally {
      await session.close(troubled);
    }
  }
  return scenarios.map((scenario) => {
    const outcomes = targets.map((t) => [t.system, medianOutcome(runs.get(`${scenario.id}/${t.system}`)!)] as const);
    return scenarioReport(workload, scenario, Object.fromEntries(outcomes));
  });
}

function record(runs: Map<string, Outcome[]>, id: string, outcome: Outcome): void {
  runs.set(id, [...(runs.get(id) ?? []), outcome]);
}

interface Base {
  runId: string;
  bundle?: Bundle;
  log(message: string): void;
}

interface Session {
  origin: string;
  directOrigin: string;
  /** Stops the server; a troubled session keeps wrangler's log and prints its end. */
  close(troubled: boolean): Promise<void>;
}

let current: DevServer | undefined;

async function openSession(options: Options, base: Base, targets: Target[], name: string): Promise<Session> {
  // A Worker started elsewhere: whether a proxy stands in front of it is not ours to know.
  if (options.url) return { origin: options.url, directOrigin: options.url, close: async () => {} };
  base.log(`${name}: starting wrangler dev -c ${options.config}`);
  const server = await startDevServer({
    config: options.config,
    cwd: ROOT,
    bundle: base.bundle!,
    isReady: (url) => isEveryTargetReady(url, targets),
  });
  current = server;
  if (!server.directUrl) base.log(`${name}: found no port of the Worker's own workerd (read from /proc, Linux only): wf-latency goes through the proxy`);
  return {
    origin: server.url,
    directOrigin: server.directUrl ?? server.url,
    async close(troubled) {
      current = undefined;
      if (troubled) base.log(`${name}: last lines of wrangler's output (all of it: ${server.logPath}):\n${server.logTail(15)}`);
      await server.stop({ keepLog: troubled });
    },
  };
}

/** Runs `fn`; an exception becomes a failed outcome. */
async function measure(run: () => Promise<Measurement>): Promise<Outcome> {
  try {
    return { ok: true, measurement: await run() };
  } catch (e) {
    return { ok: false, error: messageOf(e) };
  }
}

/** Runs `fn`; resolves with the error message when it throws, undefined otherwise. */
async function attempt(fn: () => Promise<void>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    return messageOf(e);
  }
}

function summarize(outcome: Outcome, unit: string): string {
  if (!outcome.ok) return `FAILED: ${outcome.error}`;
  const m = outcome.measurement;
  const extra = [
    m.errors ? `${m.errors} errors` : "",
    m.proxyDrops ? `${m.proxyDrops} proxy drops` : "",
    m.problems.length ? `${m.problems.length} WRONG` : "",
  ].filter(Boolean);
  return `${m.value.toFixed(unit === "ms" ? 2 : 0)} ${unit} (${m.note})${extra.length ? ` — ${extra.join(", ")}` : ""}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function environment(): Record<string, unknown> {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      return undefined;
    }
  };
  const version = (pkg: string) => JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
  return {
    node: process.version,
    wrangler: version("wrangler"),
    miniflare: version("miniflare"),
    undici: version("undici"),
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    commit: git("rev-parse", "HEAD"),
    dirty: (git("status", "--porcelain") ?? "") !== "",
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  checkNames(options);
  // A workload none of whose scenarios or systems is selected is not started at all.
  const workloads = WORKLOADS.filter(
    (w) =>
      (!options.workloads || options.workloads.has(w.id)) &&
      targetsOf(w, options).length > 0 &&
      w.scenarios.some((s) => !options.scenarios || options.scenarios.has(s.id)),
  );
  if (workloads.length === 0) throw new Error("The flags select nothing to run (see --help)");
  const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

  const interrupt = () => void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  if (loadBefore > cpus().length / 2) {
    log(`WARNING: the machine is busy (load average ${loadBefore.toFixed(2)} on ${cpus().length} cores); figures will be noisy`);
  }
  if (options.url && workloads.length * options.repeat > 1) {
    log(`WARNING: with --url every session shares one Worker; one workerd holds ~2,100 Resolute objects before SQLITE_NOMEM`);
  }
  const reports: ScenarioReport[] = [];
  const base: Base = { runId: `r${Date.now().toString(36)}`, log };
  if (!options.url) {
    log(`bundling ${options.config}`);
    base.bundle = await bundleWorker({ config: options.config, cwd: ROOT });
  }
  try {
    for (const workload of workloads) reports.push(...(await runWorkload(workload, options, base)));
  } finally {
    base.bundle?.dispose();
  }

  console.log(`\n${renderMarkdown(reports)}\n`);
  const problems = listProblems(reports);
  if (problems.length > 0) {
    console.log(`PROBLEMS (${problems.length}):\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
  }
  const drops = listProxyDrops(reports);
  if (drops.length > 0) {
    console.log(
      `Dropped by wrangler dev's proxy, not by the system under test (cloudflare/workers-sdk#14641); ` +
        `each stalls a client, so throughput is understated:\n${drops.map((d) => `  - ${d}`).join("\n")}\n`,
    );
  }
  const partial = options.systems || options.scenarios || options.workloads;
  const suffix = `${options.quick ? "-quick" : ""}${partial ? "-partial" : ""}`;
  // Date and time (UTC) in the name: two runs on one day must not overwrite each other.
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  const file = join(BENCH_DIR, "results", `${workloads.map((w) => w.id).join("+")}-${stamp}${suffix}.json`);
  writeJson(file, {
    startedAt: started.toISOString(),
    mode: options.quick ? "quick" : "default",
    repeat: options.repeat,
    server: options.url
      ? { url: options.url }
      : { wrangler: "wrangler dev, one per workload and round", config: options.config, via: "wrangler dev's reload proxy, except wf-latency (the Worker's own workerd)" },
    environment: environment(),
    // 1-minute load average before and after: a busy machine explains odd figures.
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    scenarios: reports,
  });
  log(`wrote ${relative(ROOT, file)}`);
  return problems.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
