/**
 * The runtime under test, as users run it: `wrangler dev` of the chaos fixture,
 * started detached (its own process group: wrangler's node processes and both
 * workerds), killed with one SIGKILL to the whole group, and started again on
 * the same `--persist-to`. Each start is a new generation on a fresh loopback
 * port (never 8787).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { processesInGroup, processStat } from "../../bench/harness/listeners.js";
import { devArgs, freePort, tail, type Bundle } from "../../bench/harness/server.js";

export interface DevRuntimeOptions {
  /** The repository root (wrangler runs there). */
  cwd: string;
  /** The wrangler config, relative to `cwd`. */
  config: string;
  bundle: Bundle;
  /** Storage kept across kills. */
  persistTo: string;
  /** wrangler's output, all generations appended. */
  logPath: string;
  /** `--var` bindings. */
  vars: Record<string, string>;
  readyTimeoutMs?: number;
}

/** What one kill left behind: processes of the runtime still alive after SIGKILL (should be none). */
export interface KillReport {
  /** Processes of the runtime when it was killed. */
  killed: number;
  /** `pid command` of each survivor. */
  survivors: string[];
}

const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1" };
const HEALTH_PATH = "/restate/health";
/** Starts tried when the drawn port was taken meanwhile. */
const START_ATTEMPTS = 3;
/** How long the processes of a SIGKILLed group may take to disappear. */
const REAP_MS = 5_000;

export class DevRuntime {
  #child: ChildProcess | undefined;
  #url: string | undefined;
  #generation = 0;
  readonly #onExit = () => this.#signal("SIGKILL");

  constructor(private readonly options: DevRuntimeOptions) {
    process.once("exit", this.#onExit);
  }

  /** Where the current generation's wrangler dev proxy listens; undefined while down. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Starts so far (1 after the first start). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Starts wrangler dev and resolves once it answers health checks. A port taken between
   * freePort() and wrangler's bind (other processes on the machine) is drawn again.
   */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#startOnce();
      } catch (error) {
        const portTaken = error instanceof Error && error.message.includes("Address already in use");
        if (!portTaken || attempt >= START_ATTEMPTS) throw error;
        await this.kill();
      }
    }
  }

  async #startOnce(): Promise<void> {
    if (this.#child) throw new Error("the chaos runtime is already running: kill it first");
    const url = `http://127.0.0.1:${await freePort()}`;
    const logFd = openSync(this.options.logPath, "a");
    try {
      this.#child = spawn(process.execPath, [join(this.options.cwd, "node_modules/wrangler/bin/wrangler.js"), ...this.#args(url, await freePort())], {
        cwd: this.options.cwd,
        detached: true, // its own process group: one signal reaches wrangler and every workerd
        stdio: ["ignore", logFd, logFd],
        env: ENV,
      });
    } finally {
      closeSync(logFd);
    }
    this.#generation++;
    await this.#waitUntilReady(url);
    this.#url = url;
  }

  /** SIGKILLs every process of the runtime at once, then checks that none survives. */
  async kill(): Promise<KillReport> {
    const child = this.#child;
    if (!child?.pid) throw new Error("the chaos runtime is not running");
    this.#url = undefined;
    const pids = new Set([...processesInGroup(child.pid), ...descendantsOf(child.pid)]);
    this.#signal("SIGKILL");
    this.#child = undefined;
    const deadline = Date.now() + REAP_MS;
    let alive = [...pids].filter(isAlive);
    while (alive.length > 0 && Date.now() < deadline) {
      await sleep(50);
      alive = [...pids, ...processesInGroup(child.pid)].filter(isAlive);
    }
    const survivors = alive.map((pid) => `${pid} ${commandOf(pid)}`);
    // A survivor is reported as a violation; it must not hold the state for the next generation.
    for (const pid of alive) killQuietly(pid);
    return { killed: pids.size, survivors };
  }

  /** Stops the runtime for good (SIGKILL: nothing to flush, the state is thrown away or kept as is). */
  async stop(): Promise<void> {
    process.off("exit", this.#onExit);
    if (this.#child) await this.kill();
  }

  /** The last lines wrangler printed. */
  logTail(lines = 30): string {
    return tail(this.options.logPath, lines);
  }

  #args(url: string, inspectorPort: number): string[] {
    const { bundle, config, persistTo, vars } = this.options;
    // Served as bundled once: a source edit during a run must not restart the Worker (see bench/harness/server.ts).
    const logLevel = process.env.CHAOS_WRANGLER_LOG ?? "warn";
    return devArgs({ script: bundle.script, config, port: Number(new URL(url).port), inspectorPort, persistTo, logLevel, vars });
  }

  async #waitUntilReady(url: string): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 90_000;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const child = this.#child;
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`wrangler dev exited (${child?.exitCode ?? child?.signalCode}) before it was ready:\n${this.logTail()}`);
      }
      if (await isHealthy(url)) return;
      await sleep(200);
    }
    throw new Error(`wrangler dev was not ready at ${url} after ${timeoutMs / 1000} s:\n${this.logTail()}`);
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  }
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const res = await request(`${url}${HEALTH_PATH}`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** Every process descending from `root` (a workerd that left the group is still the runtime's). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Alive: present and not a zombie (a killed process whose parent has not reaped it yet is dead). */
function isAlive(pid: number): boolean {
  const state = processStat(pid)?.state;
  return state !== undefined && state !== "Z" && state !== "X";
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 120);
  } catch {
    return "?";
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone meanwhile.
  }
}
