/**
 * The chaos load and the kills: concurrent clients issuing seeded operations
 * while the runtime is SIGKILLed and restarted at seeded intervals.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createRand } from "../../src/engine/rand.js";
import type { ChaosClient } from "./client.js";
import type { DevRuntime, KillReport } from "./dev-runtime.js";
import { limitedOp, planOp, runOp, type Op } from "./ops.js";
import { LIMIT_KEYS } from "./protocol.js";

export interface LoadOptions {
  client: ChaosClient;
  clients: number;
  keys: number;
  seed: string;
  /** At most this many operations in all. */
  maxOps: number;
  /** True once the load must stop issuing operations. */
  stopped: () => boolean;
}

export interface Load {
  /** Every operation issued so far (filled while the load runs). */
  ops: Op[];
  /** Resolves once the clients stopped issuing (operations may still be retrying). */
  issued: Promise<void>;
  /** Resolves once every operation issued is settled (answered, or given up at the client's deadline). */
  settled(): Promise<unknown>;
}

/** A client waits this long for its operation before issuing the next one (it keeps retrying meanwhile). */
const PATIENCE_MS = 10_000;

export function startLoad(options: LoadOptions): Load {
  const ops: Op[] = [];
  const running: Promise<void>[] = [];
  const client = async (index: number) => {
    const rand = createRand(`chaos/${options.seed}/client/${index}`);
    for (let n = 0; !options.stopped() && ops.length < options.maxOps; n++) {
      const op = planOp(rand, `c${index}-${n}`, options.keys);
      ops.push(op);
      const done = runOp(options.client, op);
      running.push(done);
      await Promise.race([done, sleep(PATIENCE_MS)]);
    }
  };
  const issued = Promise.all(Array.from({ length: options.clients }, (_, i) => client(i))).then(() => undefined);
  return { ops, issued, settled: () => issued.then(() => Promise.all(running)) };
}

/** How many burst sends are in flight at once (the client repeats each until answered). */
const BURST_PARALLEL = 64;

/**
 * A burst of `count` sends to the limited service (issue 15), spread over its limit keys,
 * as fast as BURST_PARALLEL clients go: far more than its limit queue up, and the crashes
 * land among them. Its operations join `ops`, so the checker judges them like the rest.
 */
export function startBurst(client: ChaosClient, count: number, ops: Op[]): Promise<unknown> {
  const burst = Array.from({ length: count }, (_, i) => limitedOp(`burst-${i}`, LIMIT_KEYS[i % LIMIT_KEYS.length]!));
  ops.push(...burst);
  let next = 0;
  const worker = async () => {
    while (next < burst.length) await runOp(client, burst[next++]!);
  };
  return Promise.all(Array.from({ length: Math.min(BURST_PARALLEL, count) }, worker));
}

export interface CrashOptions {
  runtime: DevRuntime;
  crashes: number;
  seed: string;
  /** Seconds the runtime stays up before each kill, drawn in [min, max]. */
  uptime: { min: number; max: number };
  /** No kill after this time (ms since the epoch). */
  deadline: number;
  /** After each kill and restart: how many processes died, which survived, how long the restart took. */
  onKill?: (crash: number, report: KillReport & { restartMs: number }) => void;
}

/** Kills and restarts the runtime `crashes` times; resolves when each kill happened and every survivor seen. */
export async function crashRepeatedly(options: CrashOptions): Promise<{ killedAt: number[]; survivors: string[] }> {
  const rand = createRand(`chaos/${options.seed}/kills`);
  const survivors: string[] = [];
  const killedAt: number[] = [];
  while (killedAt.length < options.crashes) {
    await sleep(uptimeMs(rand.random(), options.uptime));
    if (Date.now() >= options.deadline) break;
    killedAt.push(Date.now());
    const report = await options.runtime.kill();
    const crashes = killedAt.length;
    survivors.push(...report.survivors.map((s) => `crash ${crashes}: ${s}`));
    const restarted = Date.now();
    await options.runtime.start();
    options.onKill?.(crashes, { ...report, restartMs: Date.now() - restarted });
  }
  return { killedAt, survivors };
}

export function uptimeMs(draw: number, uptime: { min: number; max: number }): number {
  return Math.round((uptime.min + draw * (uptime.max - uptime.min)) * 1000);
}
