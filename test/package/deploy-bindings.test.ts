/**
 * issue #12: `wrangler deploy` of the examples shipped RESOLUTE_ADMIN_TOKEN = "dev-admin-token"
 * from [vars], a token the README printed, opening the admin API on the public URL. The bundle a
 * deploy would upload must carry no token and no local-only URL.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { dryRun, parseBindings, unsafeBindings } from "../../scripts/deploy-bindings.js";

const ROOT = resolve(__dirname, "../..");

describe("what a deploy ships", () => {
  it("the examples' deploy has the Durable Object binding and no token or local URL; its bundle no test switch", () => {
    const { bindings, bundle } = dryRun(ROOT);
    expect(bindings).toContainEqual({ name: "RESOLUTE", value: "ResoluteObject", kind: "Durable Object" });
    expect(unsafeBindings(bindings)).toEqual([]);
    // issue #11: the test clock and the held outbox come from the test fixtures only; a deployed
    // Worker holds no switch that moves its clock or holds its deliveries.
    expect(bundle).toContain("alarmStarted"); // it is the runtime's bundle
    for (const word of ["RESOLUTE_TEST_HOOKS", "RESOLUTE_TEST_HOLD_OUTBOX", "RESOLUTE_TEST_HOLD_INDEX", "advanceClock", "clock_offset", "test-clock-offset", "TestClock"]) {
      expect(bundle, word).not.toContain(word);
    }
  }, 60_000);

  it("the check reads wrangler's table and flags a token and a loopback URL", () => {
    const output = [
      "Your Worker has access to the following bindings:",
      "Binding                                   Resource",
      'env.RESOLUTE_ADMIN_TOKEN ("dev-admin-token")   Environment Variable',
      'env.MAILER_URL ("http://127.0.0.1:8787/fake-mailer")   Environment Variable',
      'env.GREETING ("hello")   Environment Variable',
      "env.RESOLUTE (ResoluteObject)      Durable Object",
      "",
      "--dry-run: exiting now.",
    ].join("\n");
    const bindings = parseBindings(output);
    expect(bindings.map((b) => b.name)).toEqual(["RESOLUTE_ADMIN_TOKEN", "MAILER_URL", "GREETING", "RESOLUTE"]);
    expect(unsafeBindings(bindings).map((b) => b.name)).toEqual(["RESOLUTE_ADMIN_TOKEN", "MAILER_URL"]);
  });
});
