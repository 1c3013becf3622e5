/**
 * Runs the `resolute` CLI in-process against a test runtime, its token from the
 * environment as a user would give it: exit code and what it printed.
 */
import { runCli } from "../../cli/cli.js";
import type { WorkerdRuntime } from "./runtime.js";

export async function runCliAgainst(rt: WorkerdRuntime, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const env = { RESOLUTE_ADMIN_URL: rt.url.origin, RESOLUTE_ADMIN_TOKEN: "test-token" };
  const code = await runCli(argv, { env, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}
