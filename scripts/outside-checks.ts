/**
 * Helpers of the outside proof (.ci/outside.sh), run with tsx from the repository:
 *   readme-example <src> <test>   write the README's complete example to <src> and its test
 *                                 example, importing <src>, to <test> (type-checked and run)
 *   bindings <dir>          dry-run deploy <dir>'s wrangler.toml; fail on a token or local URL
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dryRunBindings, unsafeBindings } from "./deploy-bindings.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The first ```ts block under a heading of the README. */
export function readmeBlock(heading: string, readme = readFileSync(resolve(ROOT, "README.md"), "utf8")): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith(heading));
  const code = section && /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error(`README.md has no \`\`\`ts block under "## ${heading}"`);
  return code;
}

const [command, arg] = process.argv.slice(2);
if (command === "readme-example") {
  const [src, test] = process.argv.slice(3) as [string, string];
  writeFileSync(src, readmeBlock("A complete example"));
  // The test example imports the Worker module as src/worker.js; here that module is <src>.
  writeFileSync(test, readmeBlock("Testing your handlers").replace('"../src/worker.js"', `"../src/${basename(src, ".ts")}.js"`));
} else if (command === "bindings") {
  const bindings = dryRunBindings(resolve(arg!));
  const unsafe = unsafeBindings(bindings);
  console.log(`bindings: ${bindings.map((b) => `${b.name} (${b.kind})`).join(", ")}`);
  if (unsafe.length) {
    console.error(`a deploy would ship secrets or local URLs: ${unsafe.map((b) => b.name).join(", ")}`);
    process.exit(1);
  }
} else if (command !== undefined) {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
