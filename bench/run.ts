/**
 * `npm run bench [-- flags]`: starts the benchmark Worker (bench/worker.ts) with
 * `wrangler dev` on loopback, runs every workload's scenarios against Resolute
 * and its baseline, prints a markdown table and writes bench/results/<ids>-<date>.json.
 *
 *   --quick              smaller counts and shorter runs
 *   --repeat <n>         run every scenario n times (alternating systems) and report medians
 *   --only <system>      only this system: floor, resolute (repeatable, or comma-separated)
 *   --scenario <id>      only this scenario, e.g. w3-hot (repeatable, or comma-separated)
 *   --workload <id>      only this workload, e.g. w3
 *   --url <origin>       use a Worker that is already running instead of starting one
 *   --config <path>      wrangler config to start (default bench/wrangler.toml)
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Http } from "./harness/load.js";
import { listProblems, listProxyDrops, medianOutcome, renderMarkdown, scenarioReport, writeJson, type Outcome, type ScenarioReport } from "./harness/report.js";
import { startDevServer, type DevServer } from "./harness/server.js";
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
 * Warms every target up, then runs each scenario on the baseline and the subject
 * back to back, so a change in background load skews both sides of a ratio alike.
 * With --repeat, the whole list runs that many times and each figure is the median.
 */
async function runWorkload(workload: Workload, options: Options, ctx: RunContext): Promise<ScenarioReport[]> {
  const scenarios = workload.scenarios.filter((s) => !options.scenarios || options.scenarios.has(s.id));
  const targets = targetsOf(workload, options);
  const warmUpErrors = new Map<string, string>();
  for (const target of targets) {
    ctx.log(`${workload.id} / ${target.system}: warming up`);
    await workload.warmUp(target, ctx).catch((e: unknown) => warmUpErrors.set(target.system, `warm-up failed: ${messageOf(e)}`));
  }
  const runs = new Map<string, Outcome[]>(); // by `${scenario}/${system}`
  for (let round = 1; round <= options.repeat; round++) {
    // Scenarios may rely on new keys, so every round gets its own key prefix.
    const roundCtx = options.repeat > 1 ? { ...ctx, runId: `${ctx.runId}x${round}` } : ctx;
    const label = options.repeat > 1 ? ` (round ${round}/${options.repeat})` : "";
    for (const scenario of scenarios) {
      for (const target of targets) {
        const warmUpError = warmUpErrors.get(target.system);
        const outcome: Outcome = warmUpError ? { ok: false, error: warmUpError } : await attempt(() => scenario.run(target, roundCtx));
        const id = `${scenario.id}/${target.system}`;
        runs.set(id, [...(runs.get(id) ?? []), outcome]);
        ctx.log(`${id}${label}: ${summarize(outcome, scenario.unit)}`);
      }
    }
  }
  return scenarios.map((scenario) => {
    const outcomes = targets.map((t) => [t.system, medianOutcome(runs.get(`${scenario.id}/${t.system}`)!)] as const);
    return scenarioReport(workload, scenario, Object.fromEntries(outcomes));
  });
}

async function attempt(run: () => Promise<Measurement>): Promise<Outcome> {
  try {
    return { ok: true, measurement: await run() };
  } catch (e) {
    return { ok: false, error: messageOf(e) };
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
  const workloads = WORKLOADS.filter((w) => !options.workloads || options.workloads.has(w.id));
  const targets = workloads.flatMap((w) => targetsOf(w, options));
  if (targets.length === 0) throw new Error("The flags select nothing to run (see --help)");
  const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

  let server: DevServer | undefined;
  const interrupt = () => void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  if (loadBefore > cpus().length / 2) {
    log(`WARNING: the machine is busy (load average ${loadBefore.toFixed(2)} on ${cpus().length} cores); figures will be noisy`);
  }
  const reports: ScenarioReport[] = [];
  try {
    let origin = options.url;
    if (!origin) {
      log(`starting wrangler dev -c ${options.config}`);
      server = await startDevServer({ config: options.config, cwd: ROOT, isReady: (url) => isEveryTargetReady(url, targets) });
      origin = server.url;
      log(`ready at ${origin} (log: ${server.logPath})`);
    }
    const ctx: RunContext = { origin, quick: options.quick, runId: `r${Date.now().toString(36)}`, log };
    for (const workload of workloads) reports.push(...(await runWorkload(workload, options, ctx)));
  } finally {
    if (server) {
      const keepLog = listProblems(reports).length > 0;
      if (keepLog) log(`last lines of wrangler's output (all of it: ${server.logPath}):\n${server.logTail(15)}`);
      await server.stop({ keepLog });
    }
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
  const file = join(BENCH_DIR, "results", `${workloads.map((w) => w.id).join("+")}-${started.toISOString().slice(0, 10)}${suffix}.json`);
  writeJson(file, {
    startedAt: started.toISOString(),
    mode: options.quick ? "quick" : "default",
    repeat: options.repeat,
    server: options.url ? { url: options.url } : { wrangler: "wrangler dev", config: options.config },
    environment: environment(),
    // 1-minute load average before and after: a busy machine explains odd figures.
    loadAverage: { before: loadBefore, after: loadavg()[0] },
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
