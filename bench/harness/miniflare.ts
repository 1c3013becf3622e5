/**
 * The second serving mode: the same bundle served by Miniflare directly (one
 * workerd, a child of this process), with the bindings wrangler reads from the
 * same wrangler.toml. No reload proxy stands in front (wrangler dev adds a second
 * workerd and an HTTP hop per request, locally only), so this compares engine
 * with engine; `wrangler dev` is what a user runs locally, and is measured too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { descendantsNamed } from "./processes.js";
import type { Bundle, DevServer } from "./server.js";

export interface MiniflareOptions {
  /** wrangler config, relative to `cwd`. */
  config: string;
  cwd: string;
  bundle: Bundle;
  isReady: (url: string) => Promise<boolean>;
  timeoutMs?: number;
}

export async function startMiniflareServer(options: MiniflareOptions): Promise<DevServer> {
  const dir = mkdtempSync(join(tmpdir(), "resolute-bench-mf-"));
  const before = new Set(descendantsNamed(process.pid, "workerd"));
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(options.cwd, options.config));
  const mf = new Miniflare({
    ...workerOptions,
    modules: true,
    scriptPath: options.bundle.script,
    // Module names are paths relative to this: the bundle lives in a temp directory outside cwd.
    modulesRoot: dirname(options.bundle.script),
    durableObjectsPersist: join(dir, "do"),
    workflowsPersist: join(dir, "workflows"),
    host: "127.0.0.1",
    port: 0,
  } as ConstructorParameters<typeof Miniflare>[0]);
  const stop = async () => {
    await mf.dispose().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = (await mf.ready).origin;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (!(await options.isReady(url).catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`Miniflare was not ready at ${url}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const processes = descendantsNamed(process.pid, "workerd").filter((pid) => !before.has(pid)).map((pid) => ({ role: "workerd", pid }));
    return { url, directUrl: url, processes, logPath: "(Miniflare logs to this process)", logTail: () => "", stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
