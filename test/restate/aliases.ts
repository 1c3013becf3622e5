/**
 * The `[alias]` table of test/restate/project/wrangler.toml (the README's
 * snippet), with each `resolute/restate…` package path mapped to its source
 * file: the tests bundle the source, as `resolute` is not installed as a package here.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const PROJECT_DIR = resolve("test/restate/project");
const PACKAGE_PATH = /^resolute\/restate(?:\/(fetch|zod))?$/;

/** The snippet's aliases, as written. */
export function snippetAliases(): Record<string, string> {
  const toml = readFileSync(resolve(PROJECT_DIR, "wrangler.toml"), "utf8");
  const table = toml.split(/^\[alias\]$/m)[1]?.split(/^\[/m)[0] ?? "";
  const entries = [...table.matchAll(/^"([^"]+)"\s*=\s*"([^"]+)"$/gm)].map(([, from, to]) => [from!, to!] as const);
  if (entries.length === 0) throw new Error("no [alias] entries in the project's wrangler.toml");
  return Object.fromEntries(entries);
}

/** The snippet's aliases pointing at the source files of resolute/restate. */
export function sourceAliases(): Record<string, string> {
  return Object.fromEntries(Object.entries(snippetAliases()).map(([from, to]) => [from, sourceOf(to)]));
}

function sourceOf(packagePath: string): string {
  const match = PACKAGE_PATH.exec(packagePath);
  if (!match) throw new Error(`alias target '${packagePath}' is not a resolute/restate entry`);
  return resolve("src/restate", `${match[1] ?? "index"}.ts`);
}
