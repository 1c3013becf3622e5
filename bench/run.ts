/**
 * `npm run bench [-- flags]`: bundles the benchmark Worker (bench/worker.ts), and for
 * every workload and round starts it with `wrangler dev` on loopback, runs the
 * scenarios against Resolute and its baseline and stops it; then prints a markdown
 * table and writes bench/results/<workloads>-<date>T<hhmm>[-quick][-partial].json.
 *
 *   --quick              smaller counts and shorter runs
 *   --repeat <n>         run every scenario n times (alternating systems) and report medians
 *   --workload <id>      only this workload: w3, chain, dup, workflows, w3-limited, w3-limited-keys (repeatable, or comma-separated)
 *   --scenario <id>      only this scenario, e.g. w3-hot (repeatable, or comma-separated)
 *   --only <system>      only this system, e.g. floor, resolute, cf-workflows (repeatable, or comma-separated)
 *   --serve <modes>      how the Worker is served: wrangler (wrangler dev), miniflare (Miniflare
 *                        directly), or both, comma-separated (default: both, every leg in one run)
 *   --peer restate       also run W3, the chain and the duplicates on Restate itself (its server and
 *                        Node SDK, pinned, installed from npm into .wrangler/bench-peers/ on first use)
 *   --url <origin>       use a Worker that is already running instead of starting one per session
 *   --config <path>      wrangler config to start (default bench/wrangler.toml)
 *
 * Under wrangler dev, load goes through its reload proxy, as a developer's requests do,
 * except for scenarios that compare engines (wf-latency), which send theirs past it.
 * Every measurement also records CPU per call by process and bytes written per call.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sampleUsage, usagePerCall, type Tracked } from "./harness/processes.js";
import { legId, listProblems, listProxyDrops, renderCosts, renderMarkdown, scenarioReport, writeJson, type Leg, type Outcome, type ScenarioReport } from "./harness/report.js";
import { bundleWorker, type Bundle } from "./harness/server.js";
import { openSession, stopEverything } from "./harness/session.js";
import { PEERS, SERVE_MODES, type Measurement, type PeerName, type RunContext, type ServeMode, type Target, type Workload } from "./harness/types.js";
import { installRestate, installedVersions } from "./peers/restate.js";
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
  modes: ServeMode[];
  peers: PeerName[];
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
      serve: { type: "string", default: SERVE_MODES.join(",") },
      peer: { type: "string", multiple: true },
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
    modes: listOf(values.serve!, SERVE_MODES, "--serve"),
    peers: listOf((values.peer ?? []).join(","), PEERS, "--peer"),
  };
}

/** A comma-separated list of names, each one of `known`. */
function listOf<T extends string>(value: string, known: readonly T[], flag: string): T[] {
  const names = value.split(",").map((v) => v.trim()).filter(Boolean);
  const unknown = names.filter((n) => !known.includes(n as T));
  if (unknown.length > 0) throw new Error(`Unknown ${flag} ${unknown.join(", ")}; known: ${known.join(", ")}`);
  return [...new Set(names)] as T[];
}

/** A misspelt name would otherwise silently measure less than asked. */
function checkNames(options: Options): void {
  const known = {
    "--workload": WORKLOADS.map((w) => w.id),
    "--only": WORKLOADS.flatMap((w) => [w.baseline.system, w.subject.system, ...Object.values(w.peers ?? {}).map((t) => t.system)]),
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

/**
 * One session per workload and round, each with fresh servers (see harness/session.ts):
 * one local workerd holds only about 2,100 of Resolute's SQLite-backed objects (2,900
 * bare ones) before SQLite fails with SQLITE_NOMEM, while W3 alone creates ~2,070 per
 * round, and a fresh process keeps one workload's leftovers (objects, pending alarms)
 * from slowing the next. Within a session every leg (a system served one way:
 * resolute@wrangler, floor@miniflare, restate...) warms up, then each scenario runs on
 * every leg back to back, in an order reversed every other round, so a change in
 * background load skews every side alike. With --repeat, each figure is the median of
 * the rounds and each ratio the median of the rounds' ratios.
 */
/**
 * workerd evicts an idle object about 10 s after its last request, on the same
 * thread that serves requests (~0.35 ms of CPU each). Without a pause, the
 * evictions of one run's 1,000 objects land inside the next run's measurement
 * (the next system's, given the alternating order) and show up as a latency tail.
 */
const EVICTION_GAP_MS = 12_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LegRun extends Leg {
  target: Target;
  /** Where its server runs (a serving mode, or the peer's name). */
  server: string;
}

/** The legs of a workload the flags select: for each serving mode its baseline and Resolute, then each peer. */
function legsOf(workload: Workload, options: Options): LegRun[] {
  const modes = options.url ? ["url"] : options.modes;
  const legs: LegRun[] = modes.flatMap((mode) =>
    targetsOf(workload, options).map((target) => ({ id: legId(target.system, mode, false), system: target.system, mode, peer: false, target, server: mode })),
  );
  for (const name of options.peers) {
    const target = workload.peers?.[name];
    if (target && (!options.systems || options.systems.has(target.system))) legs.push({ id: legId(target.system, name, true), system: target.system, mode: name, peer: true, target, server: name });
  }
  return legs;
}

async function runWorkload(workload: Workload, options: Options, base: Base): Promise<ScenarioReport[]> {
  const scenarios = workload.scenarios.filter((s) => !options.scenarios || options.scenarios.has(s.id));
  const legs = legsOf(workload, options);
  const rounds = new Map<string, Record<string, Outcome>[]>(scenarios.map((s) => [s.id, []])); // by scenario, one record per round
  for (let round = 1; round <= options.repeat; round++) {
    const label = options.repeat > 1 ? ` (round ${round}/${options.repeat})` : "";
    const results = new Map<string, Record<string, Outcome>>(scenarios.map((s) => [s.id, {}]));
    for (const s of scenarios) rounds.get(s.id)!.push(results.get(s.id)!);
    const opened = await openSession({
      name: `${workload.id}${label}`,
      config: options.config,
      cwd: ROOT,
      ...(base.bundle ? { bundle: base.bundle } : {}),
      ...(options.url ? { url: options.url } : {}),
      modes: options.modes,
      workerTargets: targetsOf(workload, options),
      peers: legs.filter((l) => l.peer).map((l) => ({ name: l.server as PeerName, target: l.target })),
      ...(base.restateDir ? { restateDir: base.restateDir } : {}),
      log: base.log,
    }).catch((e: unknown) => messageOf(e));
    if (typeof opened === "string") {
      base.log(`${workload.id}${label}: ${opened}`);
      for (const s of scenarios) for (const leg of legs) results.get(s.id)![leg.id] = { ok: false, error: opened };
      continue;
    }
    let troubled = false;
    try {
      const runId = `${base.runId}${workload.id}${round}`;
      const ctxOf = (leg: LegRun): RunContext => {
        const server = opened.servers.get(leg.server)!;
        return { origin: server.origin, directOrigin: server.directOrigin, quick: options.quick, runId, log: base.log };
      };
      // Every leg of a mode shares its workerd, and the peers theirs: set up once per server.
      const setUpErrors = new Map<string, string>();
      for (const leg of legs) {
        if (!workload.prepare || setUpErrors.has(leg.server) || legs.find((l) => l.server === leg.server) !== leg) continue;
        const error = await attempt(() => workload.prepare!(ctxOf(leg)));
        if (error) setUpErrors.set(leg.server, error);
      }
      const warmUpErrors = new Map<string, string>();
      for (const leg of legs) {
        const setUpError = setUpErrors.get(leg.server);
        if (setUpError) {
          warmUpErrors.set(leg.id, `set-up failed: ${setUpError}`);
          continue;
        }
        base.log(`${workload.id} / ${leg.id}: warming up${label}`);
        await workload.warmUp(leg.target, ctxOf(leg)).catch((e: unknown) => warmUpErrors.set(leg.id, `warm-up failed: ${messageOf(e)}`));
      }
      await pause(EVICTION_GAP_MS);
      const ordered = round % 2 === 0 ? [...legs].reverse() : legs;
      for (const scenario of scenarios) {
        for (const leg of ordered) {
          const ctx = ctxOf(leg);
          const warmUpError = warmUpErrors.get(leg.id);
          const primeError = warmUpError ?? (leg.target.prime ? await attempt(() => leg.target.prime!(ctx)) : undefined);
          const processes = opened.servers.get(leg.server)!.processes;
          const outcome: Outcome = primeError
            ? { ok: false, error: warmUpError ? primeError : `priming failed: ${primeError}` }
            : await measure(() => scenario.run(leg.target, ctx), processes);
          results.get(scenario.id)![leg.id] = outcome;
          troubled ||= !outcome.ok || outcome.measurement.errors > 0 || outcome.measurement.problems.length > 0;
          base.log(`${scenario.id}/${leg.id}${label}: ${summarize(outcome, scenario.unit)}`);
          // Restate does not evict; a workerd's evictions would land in the next leg's run.
          if (scenario.touchesManyObjects && !leg.peer) await pause(EVICTION_GAP_MS);
        }
      }
    } finally {
      await opened.close(troubled);
    }
  }
  const modes = options.url ? ["url"] : [...options.modes];
  const peer = legs.find((l) => l.peer)?.system;
  return scenarios.map((scenario) => scenarioReport(workload, scenario, modes, peer, rounds.get(scenario.id)!));
}

interface Base {
  runId: string;
  bundle?: Bundle;
  restateDir?: string;
  log(message: string): void;
}

/** Runs `fn`, with what each call cost `processes`; an exception becomes a failed outcome. */
async function measure(run: () => Promise<Measurement>, processes: readonly Tracked[]): Promise<Outcome> {
  try {
    const before = sampleUsage(processes);
    const measurement = await run();
    const calls = Number(measurement.details.calls ?? 0);
    if (processes.length > 0 && calls > 0) measurement.usage = usagePerCall(before, sampleUsage(processes), calls);
    return { ok: true, measurement };
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
      legsOf(w, options).length > 0 &&
      w.scenarios.some((s) => !options.scenarios || options.scenarios.has(s.id)),
  );
  if (workloads.length === 0) throw new Error("The flags select nothing to run (see --help)");
  const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

  const interrupt = () => void stopEverything().finally(() => process.exit(130));
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
  if (options.peers.includes("restate")) base.restateDir = installRestate(ROOT, log);
  try {
    for (const workload of workloads) reports.push(...(await runWorkload(workload, options, base)));
  } finally {
    base.bundle?.dispose();
  }

  console.log(`\n${renderMarkdown(reports)}\n`);
  const costs = renderCosts(reports);
  if (costs) console.log(`What each call cost (CPU by process, per call; bytes the system wrote to disk, per call):\n\n${costs}\n`);
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
      : { modes: options.modes, config: options.config, wrangler: "one wrangler dev per workload and round; load via its reload proxy, except wf-latency (the Worker's own workerd)", miniflare: "one Miniflare per workload and round, load straight to its workerd" },
    peers: options.peers,
    environment: { ...environment(), ...(base.restateDir ? installedVersions(base.restateDir) : {}) },
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
