/**
 * One session: every server a workload's round needs, up at once — the benchmark
 * Worker under `wrangler dev` and/or under Miniflare directly (each a fresh
 * workerd with fresh storage), and each peer on its own server (Restate) — so that
 * every leg of a scenario runs minutes apart on the same machine, interleaved.
 */
import { Http } from "./load.js";
import { startMiniflareServer } from "./miniflare.js";
import type { Tracked } from "./processes.js";
import { startDevServer, type Bundle, type DevServer } from "./server.js";
import type { PeerName, ServeMode, Target } from "./types.js";
import { startRestate, type RestatePeer } from "../peers/restate.js";

export interface SessionServer {
  /** Where the leg's load goes. */
  readonly origin: string;
  /** Past wrangler dev's proxy (the same as `origin` when there is none). */
  readonly directOrigin: string;
  readonly processes: readonly Tracked[];
}

export interface Session {
  /** By serving mode ("wrangler", "miniflare", "url") or peer name ("restate"). */
  readonly servers: ReadonlyMap<string, SessionServer>;
  /** Stops every server; a troubled session keeps the logs and prints their ends. */
  close(troubled: boolean): Promise<void>;
}

export interface SessionOptions {
  name: string;
  config: string;
  cwd: string;
  bundle?: Bundle;
  /** A Worker started elsewhere, instead of starting one per mode. */
  url?: string;
  modes: readonly ServeMode[];
  /** The Worker's targets (they must all answer before a server counts as up). */
  workerTargets: readonly Target[];
  /** Peers to start, with the target each must answer. */
  peers: readonly { name: PeerName; target: Target }[];
  restateDir?: string;
  log(message: string): void;
}

/** Servers currently up, stopped on Ctrl-C. */
const running = new Set<{ stop(): Promise<void> }>();

export function stopEverything(): Promise<unknown> {
  return Promise.all([...running].map((s) => s.stop()));
}

export async function openSession(options: SessionOptions): Promise<Session> {
  const servers = new Map<string, SessionServer>();
  const closers: ((troubled: boolean) => Promise<void>)[] = [];
  const close = async (troubled: boolean) => {
    await Promise.all(closers.map((c) => c(troubled)));
  };
  try {
    if (options.url) {
      servers.set("url", { origin: options.url, directOrigin: options.url, processes: [] });
    }
    for (const mode of options.url || options.workerTargets.length === 0 ? [] : options.modes) {
      const server = await startWorkerServer(options, mode);
      servers.set(mode, { origin: server.url, directOrigin: server.directUrl ?? server.url, processes: server.processes });
      closers.push(tracked(server, async (troubled) => {
        if (troubled && mode === "wrangler") options.log(`${options.name}: last lines of wrangler's output (all of it: ${server.logPath}):\n${server.logTail(15)}`);
        await server.stop({ keepLog: troubled });
      }));
    }
    for (const { name, target } of options.peers) {
      options.log(`${options.name}: starting ${name}`);
      const peer = await startRestate(options.restateDir!);
      closers.push(tracked(peer, async (troubled) => {
        if (troubled) options.log(`${options.name}: last lines of ${name}'s output (all of it: ${peer.logPath}):\n${peer.logTail(15)}`);
        await peer.stop({ keepLog: troubled });
      }));
      await waitForTarget(peer, target);
      servers.set(name, { origin: peer.url, directOrigin: peer.url, processes: peer.processes });
    }
  } catch (error) {
    await close(true);
    throw error;
  }
  return { servers, close };
}

async function startWorkerServer(options: SessionOptions, mode: ServeMode): Promise<DevServer> {
  options.log(`${options.name}: starting ${mode === "wrangler" ? `wrangler dev -c ${options.config}` : "Miniflare"}`);
  const isReady = (url: string) => isEveryTargetReady(url, options.workerTargets);
  const server = mode === "wrangler"
    ? await startDevServer({ config: options.config, cwd: options.cwd, bundle: options.bundle!, isReady })
    : await startMiniflareServer({ config: options.config, cwd: options.cwd, bundle: options.bundle!, isReady });
  if (mode === "wrangler" && !server.directUrl) {
    options.log(`${options.name}: found no port of the Worker's own workerd (read from /proc, Linux only): wf-latency goes through the proxy`);
  }
  return server;
}

/** Registers a server for Ctrl-C; returns its closer, which unregisters it. */
function tracked(server: { stop(): Promise<void> }, closer: (troubled: boolean) => Promise<void>) {
  running.add(server);
  return async (troubled: boolean) => {
    running.delete(server);
    await closer(troubled);
  };
}

async function isEveryTargetReady(origin: string, targets: readonly Target[]): Promise<boolean> {
  const http = new Http(origin, 1);
  try {
    for (const target of targets) if (!(await target.isReady(http))) return false;
    return true;
  } finally {
    await http.close();
  }
}

/** A peer registers its services asynchronously: wait until the target answers. */
async function waitForTarget(peer: RestatePeer, target: Target, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isEveryTargetReady(peer.url, [target]).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${target.system} did not answer within ${timeoutMs / 1000} s:\n${peer.logTail()}`);
}
