import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ENGINE = resolve(__dirname, "../../src/engine");

/** Source without comments, so a header saying "no Date.now()" does not count. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const FORBIDDEN: [RegExp, string][] = [
  [/["']cloudflare:[^"']*["']/, "a cloudflare: import"],
  [/\bDate\.now\s*\(/, "Date.now("],
  [/\bMath\.random\s*\(/, "Math.random("],
  [/\bsetTimeout\s*\(/, "setTimeout("],
  [/\bcrypto\.randomUUID\s*\(/, "crypto.randomUUID("],
  // Secrets (awakeable ids) come through Host.randomBytes, injected by the host.
  [/\bcrypto\.getRandomValues\s*\(/, "crypto.getRandomValues("],
];

/** The engine depends only on itself and sdk/ (sdk ← engine ← durable, ingress). */
const IMPORT = /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g;

function engineFiles(): string[] {
  return readdirSync(ENGINE).filter((f) => f.endsWith(".ts"));
}

describe("the engine is pure", () => {
  it("has files to check", () => {
    expect(engineFiles()).toEqual(expect.arrayContaining(["journal.ts", "attempt.ts", "lifecycle.ts", "memory-runtime.ts"]));
  });

  it.each(engineFiles())("%s uses no clock, randomness, timers or Cloudflare APIs", (file) => {
    const code = stripComments(readFileSync(join(ENGINE, file), "utf8"));
    const found = FORBIDDEN.filter(([pattern]) => pattern.test(code)).map(([, what]) => what);
    expect(found, `${file} must stay pure`).toEqual([]);
  });

  it.each(engineFiles())("%s imports only the engine and sdk/", (file) => {
    const code = stripComments(readFileSync(join(ENGINE, file), "utf8"));
    const specifiers = [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2]!);
    const outside = specifiers.filter((s) => !s.startsWith("./") && !s.startsWith("../../sdk/"));
    expect(outside, `${file} imports from outside the engine`).toEqual([]);
  });

  it("the checker itself catches what it forbids and ignores comments", () => {
    const sample = `// Date.now() in a comment\n/* Math.random() */\nconst url = "https://x"; const t = Date.now();\nimport { DurableObject } from "cloudflare:workers";`;
    const code = stripComments(sample);
    expect(FORBIDDEN.filter(([p]) => p.test(code)).map(([, w]) => w)).toEqual(["a cloudflare: import", "Date.now("]);
    expect(code).toContain('"https://x"');
  });
});
