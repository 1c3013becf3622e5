/**
 * The bench Worker behind an entry of a probe's own (statements.ts, index-cost.ts): the entry
 * (module text importing some tree's bench/worker.ts and wrapping what it counts) is written to
 * `dir`, bundled there, and served by Miniflare with the bench Worker's Durable Objects, its
 * state kept in `dir` too (the caller removes it).
 */
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export async function serveWrapped(dir: string, entry: string): Promise<Miniflare> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "entry.js"), entry);
  await build({ entryPoints: [join(dir, "entry.js")], outfile: join(dir, "worker.js"), bundle: true, format: "esm", platform: "neutral", external: ["cloudflare:*"], mainFields: ["module", "main"], logLevel: "silent", nodePaths: [resolve("node_modules")] });
  return new Miniflare({
    modules: true, scriptPath: join(dir, "worker.js"), compatibilityDate: "2026-04-20",
    durableObjects: { RESOLUTE: { className: "ResoluteObject", useSQLite: true }, FLOOR: { className: "FloorObject", useSQLite: true }, CHAIN_FLOOR: { className: "ChainFloorObject", useSQLite: true } },
    workflows: { CF_WF: { name: "three-steps", className: "ThreeSteps" } },
    durableObjectsPersist: join(dir, "state"), host: "127.0.0.1", port: 0,
  });
}
