/**
 * issue #11: every failed ctx.run attempt parked its handler on one shared
 * never-settling promise, so each finished attempt (and all it held) stayed
 * reachable. Counted with WeakRefs after GC, in a child `node --expose-gc`.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { expect, it } from "vitest";

const SCRIPT = resolve(__dirname, "fixtures/attempt-leak.ts");

it("issue #11: a finished attempt whose ctx.run failed is garbage once it is over", () => {
  const output = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", SCRIPT], { encoding: "utf8", timeout: 60_000 });
  const { attempts, unfinished, alive } = JSON.parse(output.trim().split("\n").pop()!) as { attempts: number; unfinished: number; alive: number };
  expect(unfinished).toBe(0);
  expect(attempts).toBe(30 * 16);
  expect(alive).toBe(0);
});
