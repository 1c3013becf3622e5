/**
 * Restate itself as a peer (`npm run bench -- --peer restate`): its server and
 * Node SDK, pinned, installed from npm into .wrangler/bench-peers/ (never
 * committed; installed once, reused), the benchmark's services written with the
 * SDK (restate-endpoint.mjs), one server per session on free loopback ports with
 * a fresh data directory, the endpoint registered through the admin API.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, tail } from "../harness/server.js";
import type { Tracked } from "../harness/processes.js";

/** What the peer runs: Restate's server and SDK at the versions the figures came from. */
export const RESTATE_SERVER_VERSION = "1.7.12";
export const RESTATE_SDK_VERSION = "1.17.2";

const ENDPOINT = join(dirname(fileURLToPath(import.meta.url)), "restate-endpoint.mjs");

export interface RestatePeer {
  /** Restate's ingress, where the services answer (`POST /counter/<key>/add`...). */
  readonly url: string;
  readonly processes: readonly Tracked[];
  readonly logPath: string;
  logTail(lines?: number): string;
  stop(options?: { keepLog?: boolean }): Promise<void>;
}

/** Installs the pinned server and SDK under `root`/.wrangler/bench-peers unless they are there; returns the directory. */
export function installRestate(root: string, log: (message: string) => void): string {
  const dir = join(root, ".wrangler", "bench-peers", `restate-${RESTATE_SERVER_VERSION}-sdk-${RESTATE_SDK_VERSION}`);
  if (existsSync(join(dir, "node_modules", "@restatedev", "restate-sdk", "package.json")) && existsSync(serverBinary(dir))) return dir;
  log(`installing Restate ${RESTATE_SERVER_VERSION} and its SDK ${RESTATE_SDK_VERSION} from npm into ${dir}`);
  mkdirSync(dir, { recursive: true });
  const dependencies = { "@restatedev/restate-server": RESTATE_SERVER_VERSION, "@restatedev/restate-sdk": RESTATE_SDK_VERSION };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "resolute-bench-restate-peer", private: true, type: "module", dependencies }, null, 2)}\n`);
  // --ignore-scripts: the server's binary comes in its platform package; no install script needs to run.
  execFileSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "inherit", env: { ...process.env, SCARF_ANALYTICS: "false" } });
  if (!existsSync(serverBinary(dir))) throw new Error(`npm installed no restate-server binary for ${process.platform}-${process.arch} (looked for ${serverBinary(dir)})`);
  return dir;
}

function serverBinary(dir: string): string {
  return join(dir, "node_modules", "@restatedev", `restate-server-${process.platform}-${process.arch}`, "bin", "restate-server");
}

/** Starts a server with a fresh data directory and the SDK endpoint, registers the endpoint; resolves once both answer. */
export async function startRestate(installDir: string, timeoutMs = 60_000): Promise<RestatePeer> {
  const dir = mkdtempSync(join(tmpdir(), "resolute-bench-restate-"));
  const logPath = join(dir, "restate.log");
  const logFd = openSync(logPath, "a");
  const logTail = (lines = 30) => tail(logPath, lines);
  const [ingress, admin, fabric, endpoint] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Copied beside the SDK so that its import resolves from the install directory.
  copyFileSync(ENDPOINT, join(installDir, "restate-endpoint.mjs"));
  const children: ChildProcess[] = [];
  const stop = once(async (keepLog: boolean) => {
    await Promise.all(children.map(stopChild));
    closeSync(logFd);
    rmSync(keepLog ? join(dir, "data") : dir, { recursive: true, force: true });
  });
  try {
    children.push(
      spawn(serverBinary(installDir), ["--no-logo"], {
        cwd: dir,
        stdio: ["ignore", logFd, logFd],
        env: {
          ...process.env,
          RESTATE_BASE_DIR: join(dir, "data"),
          RESTATE_LISTEN_MODE: "tcp",
          RESTATE_BIND_IP: "127.0.0.1",
          RESTATE_BIND_PORT: String(fabric),
          RESTATE_INGRESS__BIND_PORT: String(ingress),
          RESTATE_ADMIN__BIND_PORT: String(admin),
          RESTATE_DISABLE_TELEMETRY: "true",
          RESTATE_LOG_FILTER: "warn",
          RESTATE_LOG_DISABLE_ANSI_CODES: "true",
        },
      }),
      spawn(process.execPath, [join(installDir, "restate-endpoint.mjs")], {
        cwd: installDir,
        stdio: ["ignore", logFd, logFd],
        env: { ...process.env, PORT: String(endpoint), RESTATE_LOGGING: "WARN" },
      }),
    );
    const adminUrl = `http://127.0.0.1:${admin}`;
    await until(timeoutMs, logTail, children, async () => (await fetch(`${adminUrl}/health`)).ok);
    await until(timeoutMs, logTail, children, async () => {
      const res = await fetch(`${adminUrl}/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ uri: `http://127.0.0.1:${endpoint}`, force: true }) });
      return res.status === 201 || res.status === 200;
    });
  } catch (error) {
    await stop(true);
    throw error;
  }
  const [server, sdk] = children;
  return {
    url: `http://127.0.0.1:${ingress}`,
    processes: [
      { role: "restate-server", pid: server!.pid! },
      { role: "restate-sdk", pid: sdk!.pid! },
    ],
    logPath,
    logTail,
    stop: (options) => stop(options?.keepLog ?? false),
  };
}

async function until(timeoutMs: number, logTail: () => string, children: ChildProcess[], check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (exited) throw new Error(`a Restate process exited (${exited.exitCode ?? exited.signalCode}) before it was ready:\n${logTail()}`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`Restate was not ready after ${timeoutMs / 1000} s:\n${logTail()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

function once<A>(fn: (arg: A) => Promise<void>): (arg: A) => Promise<void> {
  let running: Promise<void> | undefined;
  return (arg) => (running ??= fn(arg));
}

/** The version the install directory holds (for the results file). */
export function installedVersions(installDir: string): Record<string, string> {
  const version = (pkg: string) => JSON.parse(readFileSync(join(installDir, "node_modules", pkg, "package.json"), "utf8")).version as string;
  return { restateServer: version("@restatedev/restate-server"), restateSdk: version("@restatedev/restate-sdk") };
}
