/**
 * The package's public names in this repository. package.json's `exports` (and `imports`) map
 * each name to dist/; tsconfig.json's `paths` map the same names to the sources that compile to
 * those files, so that code here (examples, templates, tests) imports `resolute` by name without
 * a build. This module reads both, derives vitest's aliases from them, and lets a test check that
 * they agree.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

type Target = string | { [condition: string]: Target };

/** `./dist/src/index.js` (or `.d.ts`) → `./src/index.ts`: tsconfig.build.json compiles `.` into dist/. */
export function sourceOf(distPath: string): string {
  if (!distPath.startsWith("./dist/")) throw new Error(`${distPath} is not in dist/`);
  return `./${distPath.slice("./dist/".length).replace(/\.d\.ts$|\.js$/, ".ts")}`;
}

/** The package.json of this repository (the package). */
export function packageJson(): { exports: Record<string, Target>; imports: Record<string, Target>; name: string } {
  return JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));
}

/** tsconfig.json's `paths` (it has comments: read with TypeScript's own parser). */
export function tsconfigPaths(): Record<string, string[]> {
  const { config, error } = ts.readConfigFile(resolve(ROOT, "tsconfig.json"), ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  return config.compilerOptions.paths;
}

/** The JavaScript a condition picks (`types` aside): the first matching key, as Node resolves. */
export function targetFor(target: Target, conditions: readonly string[]): string | undefined {
  if (typeof target === "string") return target;
  for (const [condition, next] of Object.entries(target)) {
    if (condition === "default" || conditions.includes(condition)) {
      const found = targetFor(next, conditions);
      if (found) return found;
    }
  }
  return undefined;
}

/** The package's names as importers write them: `resolute`, `resolute/sdk`, …, `#workers-runtime`. */
export function publicNames(): Map<string, Target> {
  const pkg = packageJson();
  const names = new Map<string, Target>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath.endsWith(".json")) continue;
    names.set(subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, target);
  }
  for (const [name, target] of Object.entries(pkg.imports)) names.set(name, target);
  return names;
}

/**
 * Vitest's aliases: each name to its source, for Node (so `#workers-runtime` is the Node
 * stand-in, as a Node test of the published package would get).
 */
export function nodeAliases(): { find: RegExp; replacement: string }[] {
  return [...publicNames()].map(([name, target]) => ({
    find: new RegExp(`^${name.replace(/[/#]/g, "\\$&")}$`),
    replacement: resolve(ROOT, sourceOf(targetFor(target, ["node", "import"])!)),
  }));
}
