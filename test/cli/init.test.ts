/**
 * issue #12: `resolute init <dir>` gives a new user a working project, and `dev-vars` its local
 * admin token. (The project's own test, tsc, wrangler dev and deploy run from the packed package
 * in .ci/outside.sh.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../cli/cli.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { env: {}, cwd, out: (t) => (out += t), err: (t) => (err += t), fetch: () => Promise.reject(new Error("local commands make no request")) });
  return { code, out, err };
}

const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "resolute-init-"));
  dirs.push(dir);
  return dir;
};
const tokenOf = (dir: string) => /^RESOLUTE_ADMIN_TOKEN=(\S+)$/m.exec(readFileSync(join(dir, ".dev.vars"), "utf8"))?.[1];

describe("resolute init", () => {
  it("writes the starter named after its directory, with versions filled in and a random local token", async () => {
    const parent = scratch();
    const { code, out } = await cli(parent, "init", "My App");
    expect(code).toBe(0);
    expect(out).toContain("npm install");
    const dir = join(parent, "My App");
    for (const file of ["package.json", "tsconfig.json", "wrangler.toml", "README.md", ".gitignore", "src/worker.ts", "test/worker.test.ts", ".dev.vars"]) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const own = JSON.parse(readFileSync("package.json", "utf8"));
    expect(pkg.name).toBe("my-app");
    expect(pkg.dependencies.resolute).toBe(`^${own.version}`);
    expect(pkg.devDependencies.wrangler).toBe(own.devDependencies.wrangler);
    for (const file of ["package.json", "wrangler.toml", "README.md"]) expect(readFileSync(join(dir, file), "utf8")).not.toContain("{{");
    expect(readFileSync(join(dir, "wrangler.toml"), "utf8")).not.toMatch(/^\[vars\]/m);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toContain(".dev.vars");
    expect(tokenOf(dir)).toMatch(/^[\w-]{32}$/);
  });

  it("gives every project its own token", async () => {
    const parent = scratch();
    await cli(parent, "init", "a");
    await cli(parent, "init", "b");
    expect(tokenOf(join(parent, "a"))).not.toBe(tokenOf(join(parent, "b")));
  });

  it("refuses a directory that is not empty, and a missing directory argument", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "keep.txt"), "mine");
    const refused = await cli(dir, "init", ".");
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("is not empty");
    expect((await cli(dir, "init")).code).toBe(2);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("mine");
  });
});

describe("resolute dev-vars", () => {
  it("creates .dev.vars once and leaves an existing one alone", async () => {
    const dir = scratch();
    expect((await cli(dir, "dev-vars")).out).toContain("wrote .dev.vars");
    const first = tokenOf(dir);
    expect((await cli(dir, "dev-vars")).out).toContain("already exists");
    expect(tokenOf(dir)).toBe(first);
  });
});
