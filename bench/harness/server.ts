/**
 * Bundles the benchmark Worker once, starts it under `wrangler dev` on loopback,
 * waits until it answers, and stops it (the whole process group: npx, wrangler,
 * both workerds).
 *
 * The Worker is bundled once up front (`wrangler deploy --dry-run`) and served with
 * `--no-bundle`: wrangler dev would otherwise rebuild and restart the Worker whenever
 * a source file changes during the run, failing in-flight requests with 503 and
 * mixing two versions of the code in one set of figures. Every server started from
 * one bundle serves the same code.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { listeningPortsOfGroup, processesInGroup } from "./listeners.js";
import type { Tracked } from "./processes.js";

export interface DevServer {
  /** Where wrangler dev listens (its reload proxy). */
  readonly url: string;
  /** Where the Worker's own workerd listens, behind the proxy (see findUserWorker); undefined when not found (not Linux). */
  readonly directUrl?: string;
  /**
   * Whose CPU and writes a request costs: "workerd" (the Worker's own), "proxy workerd"
   * (wrangler dev's reload proxy), "wrangler" (its Node processes); Linux only.
   */
  readonly processes: readonly Tracked[];
  readonly logPath: string;
  /** Last lines of wrangler's output, for error messages. */
  logTail(lines?: number): string;
  /** Stops wrangler and deletes its files; `keepLog` leaves the log at `logPath`. */
  stop(options?: { keepLog?: boolean }): Promise<void>;
}

export interface Bundle {
  /** The bundled Worker script. */
  readonly script: string;
  /** Deletes the bundle. */
  dispose(): void;
}

export interface BundleOptions {
  /** Path of the wrangler config, relative to `cwd`. */
  config: string;
  cwd: string;
}

export interface StartOptions extends BundleOptions {
  bundle: Bundle;
  /** Resolves true once the Worker serves what the benchmark needs. */
  isReady: (url: string) => Promise<boolean>;
  timeoutMs?: number;
}

const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1" };

/** Bundles the Worker as `wrangler deploy` would, without deploying. */
export async function bundleWorker(options: BundleOptions): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), "resolute-bench-bundle-"));
  const logPath = join(dir, "bundle.log");
  const logFd = openSync(logPath, "a");
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const child = spawn("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(dir, "dist"), "-c", options.config], {
      cwd: options.cwd,
      stdio: ["ignore", logFd, logFd],
      env: ENV,
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", resolve);
    });
    if (code !== 0) throw new Error(`bundling ${options.config} failed (exit ${code}):\n${tail(logPath, 30)}`);
  } catch (error) {
    closeSync(logFd);
    dispose();
    throw error;
  }
  closeSync(logFd);
  return { script: join(dir, "dist", "worker.js"), dispose };
}

export async function startDevServer(options: StartOptions): Promise<DevServer> {
  const dir = mkdtempSync(join(tmpdir(), "resolute-bench-"));
  const logPath = join(dir, "wrangler.log");
  const logFd = openSync(logPath, "a");
  const logTail = (lines = 30) => tail(logPath, lines);
  const removeFiles = (keepLog: boolean) => {
    closeSync(logFd);
    rmSync(keepLog ? join(dir, "state") : dir, { recursive: true, force: true });
  };

  let child: ChildProcess;
  const url = `http://127.0.0.1:${await freePort()}`;
  try {
    child = spawnDev(options, options.bundle.script, url, join(dir, "state"), await freePort(), logFd);
  } catch (error) {
    removeFiles(true);
    throw error;
  }
  const onExit = () => signalGroup(child, "SIGKILL");
  process.once("exit", onExit);
  const stop = once(async (keepLog: boolean) => {
    process.off("exit", onExit);
    await killGroup(child);
    removeFiles(keepLog);
  });

  try {
    await waitUntilReady(child, url, options.isReady, options.timeoutMs ?? 90_000, logTail);
    const user = process.platform === "linux" ? await findUserWorker(child.pid!, url, options.isReady) : undefined;
    const processes = process.platform === "linux" ? groupProcesses(child.pid!, user?.pid) : [];
    return { url, ...(user ? { directUrl: user.url } : {}), processes, logPath, logTail, stop: (stopOptions) => stop(stopOptions?.keepLog ?? false) };
  } catch (error) {
    await stop(true);
    throw error;
  }
}

/**
 * The Worker's own workerd, behind the proxy: wrangler dev runs two workerds in its
 * process group, the proxy's (listening on `proxyUrl`) and the Worker's. The Worker
 * answers on one of the other's loopback ports (wrangler 4.86 forwards to it there,
 * without a secret); its inspector port does not pass `isReady`.
 */
async function findUserWorker(groupId: number, proxyUrl: string, isReady: (url: string) => Promise<boolean>): Promise<{ url: string; pid: number } | undefined> {
  const proxyPort = Number(new URL(proxyUrl).port);
  const byPid = listeningPortsOfGroup(groupId);
  const proxyPid = [...byPid].find(([, ports]) => ports.includes(proxyPort))?.[0];
  for (const [pid, ports] of byPid) {
    if (pid === proxyPid || !isWorkerd(pid)) continue;
    for (const port of ports) {
      const candidate = `http://127.0.0.1:${port}`;
      if (await isReady(candidate).catch(() => false)) return { url: candidate, pid };
    }
  }
  return undefined;
}

/** wrangler dev's processes by role: the Worker's workerd (`userPid`), the proxy's, and wrangler's Node processes. */
function groupProcesses(groupId: number, userPid: number | undefined): Tracked[] {
  return processesInGroup(groupId).map((pid) => ({
    pid,
    role: pid === userPid ? "workerd" : isWorkerd(pid) ? "proxy workerd" : "wrangler",
  }));
}

function isWorkerd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd");
  } catch {
    return false;
  }
}

function spawnDev(options: StartOptions, script: string, url: string, persistTo: string, inspectorPort: number, logFd: number) {
  // Per-request log lines would cost CPU in wrangler's own process, which shares
  // the machine with workerd and the load generator.
  const logLevel = process.env.BENCH_WRANGLER_LOG ?? "warn";
  const args = ["wrangler", ...devArgs({ script, config: options.config, port: Number(new URL(url).port), inspectorPort, persistTo, logLevel })];
  // detached: the child leads its own process group, so one kill reaches workerd too.
  return spawn("npx", args, { cwd: options.cwd, detached: true, stdio: ["ignore", logFd, logFd], env: ENV });
}

export interface DevArgs {
  /** The bundled Worker, served as is (`--no-bundle`). */
  script: string;
  config: string;
  port: number;
  inspectorPort: number;
  persistTo: string;
  logLevel: string;
  /** `--var NAME:VALUE` bindings. */
  vars?: Record<string, string>;
}

/** wrangler's arguments (after `wrangler`) to serve a bundle with `wrangler dev` on loopback. */
export function devArgs(options: DevArgs): string[] {
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  return [
    "dev", options.script,
    "-c", options.config,
    "--no-bundle",
    "--ip", "127.0.0.1",
    "--port", String(options.port),
    "--inspector-ip", "127.0.0.1",
    "--inspector-port", String(options.inspectorPort),
    "--persist-to", options.persistTo,
    "--show-interactive-dev-session=false",
    "--log-level", options.logLevel,
    ...vars,
  ];
}

async function waitUntilReady(
  child: ChildProcess,
  url: string,
  isReady: (url: string) => Promise<boolean>,
  timeoutMs: number,
  logTail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logTail()}`);
    }
    if (await isReady(url).catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`wrangler dev was not ready at ${url} after ${timeoutMs / 1000} s:\n${logTail()}`);
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (!hasExited(child)) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    signalGroup(child, "SIGTERM");
    await Promise.race([exited, sleep(5_000)]);
  }
  // workerd may outlive wrangler; the group is gone already in the usual case.
  signalGroup(child, "SIGKILL");
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The last `lines` lines of a file (for error messages). */
export function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no wrangler output)";
  }
}

function once<A>(fn: (arg: A) => Promise<void>): (arg: A) => Promise<void> {
  let running: Promise<void> | undefined;
  return (arg) => (running ??= fn(arg));
}
