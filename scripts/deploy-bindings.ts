/**
 * What a deploy would ship, read from `wrangler deploy --dry-run`: its bindings table. Used by
 * the examples' test and the outside proof (.ci/outside.sh) to fail on a secret in [vars].
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Binding {
  name: string;
  /** The value wrangler prints for a plain-text variable (quoted), else the resource's name. */
  value: string;
  kind: string;
}

/** Parses the table after "Your Worker has access to the following bindings:". */
export function parseBindings(output: string): Binding[] {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => line.includes("has access to the following bindings"));
  if (start < 0) return [];
  const bindings: Binding[] = [];
  for (const line of lines.slice(start + 2)) {
    const match = /^env\.(\w+)\s+(?:\((.*?)\)\s+)?(\S.*?)\s*$/.exec(line.trim());
    if (!match) break;
    bindings.push({ name: match[1]!, value: match[2] ?? "", kind: match[3]! });
  }
  return bindings;
}

/** Variables a deploy must not carry: tokens and other secrets, or local-only URLs. */
export function unsafeBindings(bindings: readonly Binding[]): Binding[] {
  return bindings.filter((b) => /variable/i.test(b.kind) && (/TOKEN|SECRET|PASSWORD|API_?KEY/i.test(b.name) || /127\.0\.0\.1|localhost/.test(b.value)));
}

/** Runs `wrangler deploy --dry-run` for a config in `cwd` and returns the bindings it lists. */
export function dryRunBindings(cwd: string, config = "wrangler.toml"): Binding[] {
  return dryRun(cwd, config).bindings;
}

/** What `wrangler deploy --dry-run` would upload for a config in `cwd`: its bindings and its bundle's code. */
export function dryRun(cwd: string, config = "wrangler.toml"): { bindings: Binding[]; bundle: string } {
  const outdir = mkdtempSync(join(tmpdir(), "resolute-dry-run-"));
  try {
    const output = execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "--config", config], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const bindings = parseBindings(output);
    if (bindings.length === 0) throw new Error(`wrangler deploy --dry-run listed no bindings:\n${output}`);
    const bundle = readdirSync(outdir).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(outdir, f), "utf8")).join("\n");
    return { bindings, bundle };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
