/**
 * The CLI's local commands, which need no Worker: `init <dir>` writes a new project from the
 * package's starter template, `dev-vars` gives a project its local admin token. The token lives
 * in `.dev.vars`, which `wrangler dev` reads and `wrangler deploy` never ships, so a deploy has
 * no admin token until one is set as a secret (and the admin API answers 403 until then).
 */
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_USAGE = `  init <dir>                            a new Worker project in <dir> (empty or new): a service, an
                                        object, a test, wrangler.toml, and .dev.vars with a random
                                        local admin token
  dev-vars                              create .dev.vars with a random admin token if it is missing
                                        (wrangler dev reads it; wrangler deploy does not ship it)`;

export const DEV_VARS = ".dev.vars";
const TEMPLATE = "templates/starter";
/** Files npm would drop or rename when packing the template: stored under another name, renamed on init. */
const RENAMED: Record<string, string> = { gitignore: ".gitignore" };

export interface ProjectIo {
  cwd: string;
  out(text: string): void;
}

/** Runs `init` or `dev-vars`; undefined when `argv` is another command. Throws a usage error as an Error. */
export function runProjectCommand(argv: readonly string[], io: ProjectIo): number | undefined {
  const [command, ...rest] = argv;
  if (command === "dev-vars") {
    if (rest.length) throw new Error("'dev-vars' takes no arguments: it works in the current directory");
    io.out(ensureDevVars(io.cwd) ? `wrote ${DEV_VARS} with a new admin token` : `${DEV_VARS} already exists: left as it is`);
    return 0;
  }
  if (command === "init") {
    if (rest.length !== 1) throw new Error("'init' takes the new project's directory, e.g. resolute init my-app");
    const dir = resolve(io.cwd, rest[0]!);
    initProject(dir);
    io.out(`Created ${dir}. Next:\n  cd ${rest[0]}\n  npm install\n  npm start     # http://127.0.0.1:8787 (admin token in ${DEV_VARS})\n  npm test`);
    return 0;
  }
  return undefined;
}

/** Writes `dir/.dev.vars` with a random RESOLUTE_ADMIN_TOKEN unless the file exists; true when written. */
export function ensureDevVars(dir: string): boolean {
  const path = join(dir, DEV_VARS);
  if (existsSync(path)) return false;
  const token = randomBytes(24).toString("base64url");
  writeFileSync(path, `# Local development only: wrangler dev reads this file, wrangler deploy never ships it. Keep it out of git.\n# On Cloudflare, set the admin token as a secret: npx wrangler secret put RESOLUTE_ADMIN_TOKEN\nRESOLUTE_ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  return true;
}

/** Copies the starter into `dir` (which must be empty or absent), names it after the directory, pins the tool versions. */
export function initProject(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: init writes a new project into an empty or new directory`);
  const root = packageRoot();
  cpSync(join(root, TEMPLATE), dir, { recursive: true });
  for (const [stored, real] of Object.entries(RENAMED)) if (existsSync(join(dir, stored))) renameSync(join(dir, stored), join(dir, real));
  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "resolute-app";
  // The template names its tools' versions by package ("{{wrangler}}"): the ones this release is tested with.
  const versions: Record<string, string> = { ...own.devDependencies, name, resolute: `^${own.version}` };
  for (const file of ["package.json", "wrangler.toml", "README.md"]) {
    const path = join(dir, file);
    writeFileSync(path, readFileSync(path, "utf8").replace(/\{\{([@\w/.-]+)\}\}/g, (whole, key: string) => versions[key] ?? whole));
  }
  ensureDevVars(dir);
}

/** The installed package's root (dist/cli/ or, in its repository, cli/ are below it). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, TEMPLATE))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the starter template (${TEMPLATE}) is missing from this installation of resolute`);
    dir = parent;
  }
  return dir;
}
