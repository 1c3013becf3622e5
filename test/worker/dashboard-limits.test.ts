/**
 * Issue #15: the dashboard's limits section in headless Chromium against the real
 * runtime: declared limits, a scope's limit keys with running and queued counts, one
 * key's holders and queue, and setting a rule from the ui.page.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, useRuntimeWith } from "../support/runtime.js";
import { ConcurrencyServer } from "../support/concurrency-server.js";
import { HAS_CHROMIUM, useDashboard, warnWithoutChromium } from "../support/browser.js";
let rt: WorkerdRuntime;
let work: ConcurrencyServer;
useRuntimeWith("test/worker/fixtures/concurrency-worker.ts", "WORK_URL", () => ConcurrencyServer.start(), (r, s) => ((rt = r), (work = s)));

warnWithoutChromium("dashboard limits browser tests");

describe.skipIf(!HAS_CHROMIUM)("issue #15: limits in the dashboard", () => {
  const ui = useDashboard(() => rt);

  test("declared limits, a scope's keys, one key's holders and queue; a rule set from the page", async () => {
    await ui.page.fill("#token", "test-token");
    await ui.page.click("#connect");
    await expect.poll(() => ui.page.locator("#status").textContent()).toMatch(/^connected/);
    expect(await ui.page.locator("#limits tr", { hasText: "limited/solo" }).textContent()).toContain("concurrency 1");
    work.hold("ui");
    for (let i = 0; i < 3; i++) await rt.post("/limited/solo/send", { group: "ui", id: `u${i}` }, { "x-restate-limit-key": "acme" });
    await work.waitFor(() => work.inFlight("ui") === 1, "one in flight");
    await ui.page.locator("#limits tr", { hasText: "limited/solo" }).click();
    await expect.poll(() => ui.page.locator("#limit-keys tr", { hasText: "acme" }).textContent()).toMatch(/acme\s*1\s*2\s*concurrency 1/);
    await ui.page.locator("#limit-keys tr", { hasText: "acme" }).click();
    await expect.poll(() => ui.page.locator("#limiter tbody tr").count()).toBe(3);
    expect(await ui.page.locator("#limiter tbody tr").first().textContent()).toContain("running");
    await ui.page.fill("#pattern", "limited/solo/acme");
    await ui.page.fill("#rule-concurrency", "3");
    await ui.page.click("#set-rule");
    await expect.poll(() => ui.page.locator("#status").textContent()).toBe("rule limited/solo/acme set");
    await work.waitFor(() => work.inFlight("ui") === 3, "the rule lets all three run");
    expect((await admin(rt, "limits/rules")).body).toEqual([expect.objectContaining({ pattern: "limited/solo/acme", limits: { concurrency: 3 } })]);
    work.release("ui");
    expect(ui.pageErrors).toEqual([]);
  });
});
