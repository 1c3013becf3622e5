/**
 * Starts the real runtime for tests: the Worker bundled with esbuild, run by
 * workerd through Miniflare, SQLite-backed Durable Objects persisted on disk,
 * real alarms. `restart()` disposes workerd and starts it again on the same
 * storage — a real crash/restart, not a mock.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { Client } from "undici";
import type { Readable } from "node:stream";
import { createInterface } from "node:readline";
import { Probe } from "./probe.js";

const bundles = new Map<string, Promise<string>>();

/**
 * Bundles a Worker entry once per test process. `alias` replaces imports as
 * wrangler's `[alias]` does (esbuild's option of the same name).
 */
export function bundle(entry: string, alias?: Record<string, string>): Promise<string> {
  const absolute = resolve(entry);
  const key = alias ? `${absolute} ${JSON.stringify(alias)}` : absolute;
  let built = bundles.get(key);
  if (!built) {
    // workerd resolves module paths relative to the working directory: keep bundles inside it.
    mkdirSync(resolve(".wrangler/test-bundles"), { recursive: true });
    const outdir = mkdtempSync(resolve(".wrangler/test-bundles/b-"));
    const outfile = join(outdir, "worker.js");
    built = build({
      entryPoints: [absolute],
      outfile,
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      external: ["cloudflare:*", "node:*"],
      mainFields: ["module", "main"],
      logLevel: "silent",
      ...(alias ? { alias } : {}),
    }).then(() => outfile);
    bundles.set(key, built);
  }
  return built;
}

export interface RuntimeOptions {
  entry: string;
  /** Import replacements, as wrangler.toml's `[alias]`. */
  alias?: Record<string, string>;
  bindings?: Record<string, string>;
  /** Reuse a storage directory (a restart); a fresh one by default. */
  persistDir?: string;
  /** Receives each line workerd writes (the Worker's console output) instead of this process's stdout. */
  output?: (line: string) => void;
}

/** A fixture Worker on workerd, with its storage on disk (the memory runtime is sdk/testing's). */
export class WorkerdRuntime {
  private constructor(
    private mf: Miniflare,
    readonly url: URL,
    readonly persistDir: string,
    private options: RuntimeOptions,
  ) {}

  static async start(options: RuntimeOptions): Promise<WorkerdRuntime> {
    const persistDir = options.persistDir ?? mkdtempSync(join(tmpdir(), "resolute-state-"));
    const mf = await launch(options, persistDir);
    return new WorkerdRuntime(mf, await mf.ready, persistDir, options);
  }

  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(new URL(path, this.url), init);
  }

  /** POSTs JSON and returns status, parsed body and headers. */
  async post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await this.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await parse(response), headers: response.headers };
  }

  /**
   * POSTs on a connection of its own, closed afterwards: for a body the Worker refuses
   * unread (413), after which workerd closes the connection, and the shared pool could
   * otherwise hand that closing connection to the next request (ECONNRESET).
   */
  async postAlone(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const client = new Client(this.url.origin);
    try {
      const response = await client.request({ method: "POST", path, body, headers: { "content-type": "application/json", ...headers } });
      return { status: response.statusCode, body: parseText(await response.body.text()) };
    } finally {
      await client.close().catch(() => {});
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await this.fetch(path, { headers });
    return { status: response.status, body: await parse(response), headers: response.headers };
  }

  /** Fires the Worker's `scheduled` handler as a Cron Trigger would (its outcome: "ok" or the failure). */
  async scheduled(cron: string, scheduledTime: Date): Promise<string> {
    const worker = await this.mf.getWorker();
    const result = await worker.scheduled({ cron, scheduledTime });
    return result.outcome;
  }

  /** Kills workerd and starts it again on the same storage (optionally with changed bindings: a new deploy). */
  async restart(bindings?: Record<string, string>): Promise<void> {
    await this.mf.dispose();
    if (bindings) this.options = { ...this.options, bindings: { ...this.options.bindings, ...bindings } };
    this.mf = await launch(this.options, this.persistDir);
    const url = await this.mf.ready;
    (this as { url: URL }).url = url;
  }

  /** Stops workerd; removes the storage unless `keepStorage`. */
  async dispose(keepStorage = false): Promise<void> {
    await this.mf.dispose();
    if (!keepStorage) rmSync(this.persistDir, { recursive: true, force: true });
  }
}

async function launch(options: RuntimeOptions, persistDir: string): Promise<Miniflare> {
  const scriptPath = await bundle(options.entry, options.alias);
  return new Miniflare({
    modules: true,
    scriptPath,
    compatibilityDate: "2026-04-20",
    durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true } },
    durableObjectsPersist: persistDir,
    bindings: { RESOLUTE_ADMIN_TOKEN: "test-token", ...options.bindings },
    host: "127.0.0.1",
    port: 0,
    ...(options.output ? { handleRuntimeStdio: (stdout: Readable, stderr: Readable) => linesTo(options.output!, stdout, stderr) } : {}),
  });
}

function linesTo(output: (line: string) => void, ...streams: Readable[]): void {
  for (const stream of streams) createInterface({ input: stream }).on("line", output);
}

async function parse(response: Response): Promise<unknown> {
  return parseText(await response.text());
}

/** JSON when it parses, else the text itself; undefined for an empty body. */
function parseText(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}

/** Restate's `POST /query` on the admin API with the test token (JSON, or Arrow bytes for another accept). */
export async function adminQuery(target: WorkerdRuntime, text: string, accept = "application/json"): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await target.fetch("/restate/admin/v4/query", {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json", accept },
    body: JSON.stringify({ query: text }),
  });
  const body = accept.includes("json") ? await response.json() : new Uint8Array(await response.arrayBuffer());
  return { status: response.status, body, headers: response.headers };
}

/** Admin API GET with the test token. */
export async function admin(rt: WorkerdRuntime, path: string, method = "GET"): Promise<{ status: number; body: any }> {
  const response = await rt.fetch(`/restate/admin/${path}`, { method, headers: { authorization: "Bearer test-token" } });
  return { status: response.status, body: await parse(response) };
}

/**
 * Starts a probe server and the runtime (with PROBE_URL bound) before the
 * file's tests and stops both after; `use` receives them.
 */
export async function startWithProbe(entry: string, bindings: Record<string, string> = {}): Promise<{ rt: WorkerdRuntime; probe: Probe }> {
  const probe = await Probe.start();
  const rt = await WorkerdRuntime.start({ entry, bindings: { PROBE_URL: probe.url, ...bindings } });
  return { rt, probe };
}

export function useRuntimeWithProbe(entry: string, use: (rt: WorkerdRuntime, probe: Probe) => void, bindings: Record<string, string> = {}): void {
  useRuntimeWith(entry, "PROBE_URL", () => Probe.start(), use, bindings);
}

/** A server in Node that the Worker calls (the probe, a fake mailer): its URL is bound for the Worker. */
export interface Sidecar {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts `startSidecar` and the runtime (the sidecar's URL bound as `binding`)
 * before the file's or block's tests and stops both after; `use` receives them.
 */
export function useRuntimeWith<S extends Sidecar>(
  entry: string,
  binding: string,
  startSidecar: () => Promise<S>,
  use: (rt: WorkerdRuntime, sidecar: S) => void,
  bindings: Record<string, string> = {},
): void {
  let rt: WorkerdRuntime | undefined;
  let sidecar: S | undefined;
  beforeAll(async () => {
    sidecar = await startSidecar();
    rt = await WorkerdRuntime.start({ entry, bindings: { [binding]: sidecar.url, ...bindings } });
    use(rt, sidecar);
  });
  afterAll(async () => {
    await rt?.dispose();
    await sidecar?.stop();
  });
}

/** Moves one object's clock forward through the fixture's test route (fires what became due). */
export function advance(rt: WorkerdRuntime, owner: string, ms: number): Promise<{ status: number; body: any; headers: Headers }> {
  return rt.get(`/__test/advance?owner=${encodeURIComponent(owner)}&ms=${ms}`);
}
