/**
 * Issue #12: the Restate-style modules of these tests (fixtures/, project/src/) type-check with
 * Restate's SDK names mapped to resolute/restate (test/restate/tsconfig.json), Restate's type
 * names included; type-names.ts's `@ts-expect-error` lines must stay errors.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("issue #12: Restate modules type-check against resolute/restate", async () => {
  const tsc = resolve("node_modules/.bin/tsc");
  const result = await run(tsc, ["--noEmit", "-p", "test/restate/tsconfig.json"], { timeout: 120_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? String(e) }));
  expect(result.stdout).toBe("");
}, 150_000);
