/**
 * issue #12: the package's names. Inside this repository tsconfig.json's paths resolve them to
 * the sources, published package.json's exports resolve them to dist/: the two must name the
 * same modules. The examples and templates use the public names only, as users must.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { publicNames, sourceOf, targetFor, tsconfigPaths } from "../../scripts/package-names.js";

const ROOT = resolve(__dirname, "../..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : tsFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Specifiers a user's project could not write: deep imports of the package, or paths out of the folder. */
function privateSpecifiers(specifiers: string[], file: string, folder: string, names: ReadonlySet<string>): string[] {
  return specifiers.filter((spec) => {
    if (spec.startsWith(".")) return relative(folder, resolve(dirname(file), spec)).startsWith("..");
    if (spec === "resolute" || spec.startsWith("resolute/") || spec.startsWith("#")) return !names.has(spec);
    return false;
  });
}

function specifiersOf(code: string): string[] {
  const bare = code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...bare.matchAll(IMPORT)].map((m) => m[1] ?? m[2]!);
}

describe("package names", () => {
  it("tsconfig paths map every public name to the source of its exports target, and nothing else", () => {
    const expected = Object.fromEntries([...publicNames()].map(([name, target]) => [name, [sourceOf(targetFor(target, ["workerd", "import"])!)]]));
    expect(tsconfigPaths()).toEqual(expected);
  });

  it("each entry's types and JavaScript come from one source", () => {
    for (const [name, target] of publicNames()) {
      const { types, ...conditions } = target as Record<string, string>;
      for (const js of Object.values(conditions)) {
        if (name !== "#workers-runtime") expect(sourceOf(js), name).toBe(sourceOf(types!));
      }
    }
  });

  it.each(["examples", "templates"])("%s import only the package's public names", (folder) => {
    const names = new Set([...publicNames().keys()].filter((n) => !n.startsWith("#")));
    const files = tsFiles(resolve(ROOT, folder));
    expect(files.length).toBeGreaterThan(0);
    const found = files.flatMap((file) =>
      privateSpecifiers(specifiersOf(readFileSync(file, "utf8")), file, resolve(ROOT, folder), names).map((spec) => `${relative(ROOT, file)}: ${spec}`),
    );
    expect(found).toEqual([]);
  });

  it("the import check catches a deep import and a path out of the folder", () => {
    const names = new Set(["resolute", "resolute/sdk"]);
    const file = resolve(ROOT, "examples/greeter/greeter.ts");
    const sample = `import { x } from "../../sdk/define.js";\nimport { y } from "resolute/src/index.js";\nimport { z } from "./local.js";\n// import { v } from "../../src/x.js";\nimport { w } from "resolute/sdk";`;
    const outside = privateSpecifiers(specifiersOf(sample), file, resolve(ROOT, "examples"), names);
    expect(outside).toEqual(["../../sdk/define.js", "resolute/src/index.js"]);
  });
});
