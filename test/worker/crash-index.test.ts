/**
 * crashadv: the invocation index after a crash that loses the send of a completion, when
 * the index already holds the invocation unfinished (found by the targeted chaos run,
 * test/chaos/targeted.ts --scenario chain: a chain's callee on a key of its own stayed
 * "suspended" in `sys_invocation` after it completed, as long as nothing touched its object).
 */
import { expect, test } from "vitest";
import { WorkerdRuntime, adminQuery, advance, eventually } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
const HOUR = 3_600_000;

test("crashadv: a completion whose index send was lost reaches the index without another request to its object", async () => {
  const rt = await WorkerdRuntime.start({ entry: ENTRY, bindings: { PROBE_URL: "http://127.0.0.1:9" } });
  try {
    const status = async () => (await adminQuery(rt, "SELECT status FROM sys_invocation WHERE target_service_key = 'crash-solo'")).body.rows?.[0]?.status as string | undefined;
    await rt.post("/counter/crash-solo/sleepThenAdd/send", HOUR);
    // The index holds it unfinished (sent and acknowledged).
    await eventually(async () => (await status()) === "suspended");

    // From now on every index send is lost, as if the process died after each commit.
    await rt.restart({ RESOLUTE_TEST_HOLD_INDEX: "1" });
    await advance(rt, "o:counter:crash-solo", HOUR); // its sleep ends: it completes
    await rt.restart({ RESOLUTE_TEST_HOLD_INDEX: "0" });

    // Nothing asks its object anything: its own wake-up must resend the completed row.
    expect(await eventually(async () => ((await status()) === "completed" ? "completed" : undefined), 15_000)).toBe("completed");
  } finally {
    await rt.dispose();
  }
});
