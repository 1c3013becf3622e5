/**
 * Issue #12: the README's wrangler.toml snippet for Restate modules
 * (test/restate/project, its `[alias]` lines pointed at resolute/restate's
 * source until the package is installed by name) builds with
 * `wrangler deploy --dry-run`, and the bundle wrangler made runs on workerd.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";
import { PROJECT_DIR, snippetAliases, sourceAliases } from "./aliases.js";

const run = promisify(execFile);
const WRANGLER = resolve("node_modules/.bin/wrangler");

describe("issue #12: wrangler [alias] snippet for Restate modules", () => {
  let dir: string;
  let output: string;
  let bundle: string;
  let rt: WorkerdRuntime | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "resolute-restate-project-"));
    cpSync(PROJECT_DIR, dir, { recursive: true });
    let toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
    for (const [from, to] of Object.entries(sourceAliases())) toml = toml.replace(`"${from}" = "${snippetAliases()[from]}"`, `"${from}" = ${JSON.stringify(to)}`);
    writeFileSync(join(dir, "wrangler.toml"), toml);
    const outdir = join(dir, "out");
    const result = await run(WRANGLER, ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: dir,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      timeout: 120_000,
    });
    output = result.stdout + result.stderr;
    bundle = join(outdir, "index.js");
  }, 150_000);
  afterAll(async () => {
    await rt?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("builds, binding the module's ResoluteObject as RESOLUTE", () => {
    expect(output).toContain("--dry-run: exiting now.");
    expect(output).toMatch(/env\.RESOLUTE \(ResoluteObject\)/);
    const code = readFileSync(bundle, "utf8");
    // Every Restate import was replaced: no real Restate SDK (its WASM core) in the bundle.
    expect(code).not.toMatch(/from\s*["']@restatedev\//);
    expect(code).not.toContain("sdk_shared_core");
    expect(code).toMatch(/export\s*\{[^}]*ResoluteObject/);
  });

  it("serves the module from the bundle wrangler built", async () => {
    rt = await WorkerdRuntime.start({ entry: bundle });
    const res = await rt.post("/greeter/greet", "Ada");
    expect(res.status).toBe(200);
    expect(res.body).toBe("Hello Ada! (36)");
  });
});
