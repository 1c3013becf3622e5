/**
 * Issue #15: the CLI's limits and rules commands against the real runtime.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, eventually, useRuntimeWith } from "../support/runtime.js";
import { runCliAgainst } from "../support/cli-runner.js";
import { ConcurrencyServer } from "../support/concurrency-server.js";

let rt: WorkerdRuntime;
let work: ConcurrencyServer;
useRuntimeWith("test/worker/fixtures/concurrency-worker.ts", "WORK_URL", () => ConcurrencyServer.start(), (r, s) => ((rt = r), (work = s)));

const cli = (...argv: string[]) => runCliAgainst(rt, argv);

describe("issue #15: limits and rules in the CLI", () => {
  test("limits list shows each declared limit with its handlers", async () => {
    const { code, out } = await cli("limits", "list");
    expect(code).toBe(0);
    expect(out.split("\n")[0]).toMatch(/^SCOPE\s+HANDLERS\s+DECLARED\s+RULES$/);
    expect(out).toMatch(/\nlimited\s+limited\/work, limited\/other\s+concurrency 2/);
    expect(out).toMatch(/\nlimited\/solo\s+limited\/solo\s+concurrency 1/);
    expect(out).toMatch(/\nrated\s+rated\/work\s+rate 2\/1000ms/);
  });

  test("rules set, list, disable and delete; limits show counts running and queued per key", async () => {
    expect((await cli("rules", "set", "limited/solo/t1", "--concurrency", "2", "--description", "tenant one")).out).toBe("rule limited/solo/t1: concurrency 2 (version 1)");
    expect((await cli("rules", "set", "limited/solo/t1", "--rate", "10/1s")).out).toBe("rule limited/solo/t1: concurrency 2, rate 10/1000ms (version 2)");
    const listed = await cli("rules", "list");
    expect(listed.out).toMatch(/\nlimited\/solo\/t1\s+concurrency 2, rate 10\/1000ms\s+no\s+2\s+tenant one/);
    work.hold("cli");
    for (let i = 0; i < 3; i++) await rt.post("/limited/solo/send", { group: "cli", id: `c${i}` }, { "x-restate-limit-key": "t1" });
    const shown = await eventually(async () => {
      const { out } = await cli("limits", "show", "limited/solo");
      return /\nt1\s+2\s+1\s+concurrency 2, rate 10\/1000ms/.test(out) ? out : undefined;
    });
    expect(shown.split("\n")[0]).toMatch(/^LIMIT_KEY\s+RUNNING\s+QUEUED\s+LIMITS$/);
    const one = await cli("limits", "show", "limited/solo", "--key", "t1");
    expect(one.out).toMatch(/^limited\/solo key 't1': concurrency 2, rate 10\/1000ms \(code: concurrency 1; rule: concurrency 2, rate 10\/1000ms\)\nrunning 2, queued 1/);
    expect(one.out).toContain("waiting (first in line first):");
    expect((await cli("rules", "disable", "limited/solo/t1")).out).toBe("rule limited/solo/t1 disabled: the code's limits apply");
    expect((await cli("rules", "list")).out).toMatch(/\nlimited\/solo\/t1\s+concurrency 2, rate 10\/1000ms\s+yes/);
    expect((await cli("rules", "delete", "limited/solo/t1")).out).toBe("rule limited/solo/t1 deleted");
    expect((await cli("rules", "list")).out).toBe("no rules: the limits the code declares apply");
    work.release("cli");
  });

  test("a rule for an undeclared target fails with the admin API's reason", async () => {
    const { code, err } = await cli("rules", "set", "caller", "--concurrency", "1");
    expect(code).toBe(1);
    expect(err).toMatch(/answered 400: pattern 'caller' matches no declared limit/);
    expect((await cli("rules", "set", "limited", "--concurrency", "x")).code).toBe(2);
  });
});
