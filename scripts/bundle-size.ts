/**
 * What `wrangler deploy` would upload for a minimal Worker (the starter's greeter and counter)
 * and for the same Worker with one zod-validated handler, as wrangler bundles it by default and
 * with --minify. Run: node --import tsx scripts/bundle-size.ts
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKERS = { minimal: "templates/starter/src/worker.ts", "with zod": "bench/bundle/zod-worker.ts" };

function upload(entry: string, minify: boolean): string {
  const dir = resolve(ROOT, ".wrangler/bundle-size");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, `name = "size"\nmain = "${resolve(ROOT, entry)}"\ncompatibility_date = "2026-04-20"\n[[durable_objects.bindings]]\nname = "RESOLUTE"\nclass_name = "ResoluteObject"\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["ResoluteObject"]\n`);
  // The repository's tsconfig maps `resolute` to the sources: the same modules dist/ is built from.
  const args = ["wrangler", "deploy", "--dry-run", "--outdir", join(dir, "out"), "--config", config, "--tsconfig", resolve(ROOT, "tsconfig.json"), ...(minify ? ["--minify"] : [])];
  const output = execFileSync("npx", args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } });
  const line = /Total Upload: (.*)/.exec(output)?.[1];
  if (!line) throw new Error(`no "Total Upload" in wrangler's output:\n${output}`);
  return line.trim();
}

for (const [name, entry] of Object.entries(WORKERS)) {
  console.log(`${name.padEnd(9)} ${upload(entry, false).padEnd(32)} minified: ${upload(entry, true)}`);
}
