/**
 * issue #12: every type used in a public signature is exported. Builds the declarations the
 * package ships (tsconfig.build.json) into a scratch package and reads them as a user's
 * compiler would.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgottenTypes } from "../../scripts/public-types.js";
import { publicNames, sourceOf } from "../../scripts/package-names.js";

const ROOT = resolve(__dirname, "../..");
let dir: string;

const COMPILER: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  skipLibCheck: true,
  types: ["@cloudflare/workers-types/2023-07-01", "node"],
};

/** The declaration file of each public entry whose source exists (a missing one is publint's to report). */
function entries(): string[] {
  return [...publicNames()]
    .filter(([name]) => !name.startsWith("#"))
    .map(([, target]) => (target as { types: string }).types)
    .filter((types) => existsSync(resolve(ROOT, sourceOf(types))))
    .map((types) => join(dir, types));
}

beforeAll(() => {
  // Inside the repository, so the declarations' own imports (zod, itty-router, workers types) resolve from its node_modules.
  mkdirSync(resolve(ROOT, ".wrangler"), { recursive: true });
  dir = mkdtempSync(resolve(ROOT, ".wrangler/package-types-"));
  copyFileSync(resolve(ROOT, "package.json"), join(dir, "package.json"));
  execFileSync(process.execPath, [resolve(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", join(dir, "dist")], { cwd: ROOT, stdio: "pipe" });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("public types", () => {
  it("reads every entry", () => {
    expect(entries().length).toBeGreaterThanOrEqual(4);
  });

  it("every type a public signature uses is exported by an entry", () => {
    expect(forgottenTypes(entries(), dir, COMPILER)).toEqual([]);
  });

  it("the check finds a type that no entry exports", () => {
    // The engine's memory runtime is internal; its module names types that the entries do not export.
    const internal = join(dir, "dist/src/engine/memory-runtime.d.ts");
    expect(forgottenTypes([...entries().slice(0, 1), internal], dir, COMPILER).length).toBeGreaterThan(0);
  });
});
