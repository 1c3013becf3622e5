/**
 * Targeted chaos: SIGKILLs of every wrangler dev process aimed at moments the mixed chaos
 * run (run.ts) reaches only by luck. Each scenario is bounded (its clients, operations and
 * waits) and runs on fresh storage; exit code 1 on any violation.
 *
 *   node --import tsx test/chaos/targeted.ts                       # every scenario, 3 kills each
 *   node --import tsx test/chaos/targeted.ts --scenario hot,chain --kills 5 --seed 7
 *
 * Scenarios: hot (group commit on a hot key, first-time objects, idempotent duplicates),
 * chain (A → B → C inside the callee's answer window), timers (sleeps and delayed sends
 * far past due at restart), completions (workflow promises and awakeables being resolved),
 * outbox (sends redelivered in order after their delivery failed), limits (slots held, waiters queued),
 * control (cancel, kill and state replacement answered just before the kill), operator (pause and
 * resume, kill and cancel of an invocation mid-commit, answered just before the kill; an idempotent
 * result's retention ending, or its purge, across a kill), regrant (kills as a
 * holder of a limit of 1 ends: a lost release must come back by the limiter's re-check).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { bundleWorker, type Bundle } from "../../bench/harness/server.js";
import { createRand } from "../../src/engine/rand.js";
import { ChaosClient } from "./client.js";
import { DevRuntime } from "./dev-runtime.js";
import { chainScenario } from "./targeted-chain.js";
import { completionsScenario } from "./targeted-completions.js";
import { controlScenario } from "./targeted-control.js";
import { AimedRecorder, checkNoDuplicateWithoutCrash, type Scenario } from "./targeted-harness.js";
import { hotScenario } from "./targeted-hot.js";
import { limitsScenario, outboxScenario } from "./targeted-queues.js";
import { operatorScenario } from "./targeted-operator.js";
import { regrantScenario } from "./targeted-regrant.js";
import { timersScenario } from "./targeted-timers.js";

const CONFIG = "test/chaos/targeted/wrangler.toml";
/** A request is given up this long after its scenario started (a scenario lasts well under it). */
const SCENARIO_BUDGET_MS = 300_000;

type Run = (s: Scenario, kills: number) => Promise<{ ops: number; acknowledged: number }>;
const SCENARIOS: Record<string, Run> = { hot: hotScenario, chain: chainScenario, timers: timersScenario, completions: completionsScenario, outbox: outboxScenario, limits: limitsScenario, control: controlScenario, operator: operatorScenario, regrant: regrantScenario };

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { scenario: { type: "string" }, kills: { type: "string" }, seed: { type: "string" }, keep: { type: "boolean" } } });
  const names = (values.scenario ?? Object.keys(SCENARIOS).join(",")).split(",");
  const unknown = names.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}: choose from ${Object.keys(SCENARIOS).join(", ")}`);
  const kills = Number(values.kills ?? 3);
  const seed = values.seed ?? String(Math.floor(Math.random() * 1e9));
  const cwd = resolve(import.meta.dirname, "../..");
  const bundle = await bundleWorker({ cwd, config: CONFIG });
  let failed = 0;
  try {
    for (const name of names) failed += await runScenario(name, SCENARIOS[name]!, { cwd, bundle, kills, seed, keep: values.keep === true });
  } finally {
    bundle.dispose();
  }
  console.log(failed === 0 ? "TARGETED CHAOS PASSED" : `TARGETED CHAOS FAILED in ${failed} scenario(s) (seed ${seed})`);
  return failed === 0 ? 0 : 1;
}

/** One scenario on fresh storage; resolves 1 when it found violations. */
async function runScenario(name: string, run: Run, o: { cwd: string; bundle: Bundle; kills: number; seed: string; keep: boolean }): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `resolute-targeted-${name}-`));
  const recorder = await AimedRecorder.open();
  const runtime = new DevRuntime({ cwd: o.cwd, config: CONFIG, bundle: o.bundle, persistTo: join(dir, "state"), logPath: join(dir, "wrangler.log"), vars: { RECORDER_URL: recorder.url } });
  const started = Date.now();
  const client = new ChaosClient(() => runtime.url, () => started + SCENARIO_BUDGET_MS, 32);
  const s: Scenario = { runtime, client, recorder, rand: createRand(`targeted/${o.seed}/${name}`), violations: [], killedAt: [] };
  let figures = { ops: 0, acknowledged: 0 };
  try {
    await runtime.start();
    figures = await run(s, o.kills);
    checkNoDuplicateWithoutCrash(s);
  } catch (error) {
    s.violations.push(`the scenario failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n${runtime.logTail()}`);
  } finally {
    await runtime.stop();
    await client.close();
    await recorder.stop();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`${name}: ${s.killedAt.length} kills, ${figures.ops} operations (${figures.acknowledged} acknowledged), ${recorder.total} step executions (${recorder.distinct} distinct), ${client.stats.attempts} requests, ${seconds} s: ${s.violations.length} violations`);
  for (const violation of s.violations.slice(0, 40)) console.log(`  ${violation}`);
  if (s.violations.length === 0 && !o.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`  state and wrangler's log kept in ${dir}`);
  return s.violations.length === 0 ? 0 : 1;
}

process.exitCode = await main();
