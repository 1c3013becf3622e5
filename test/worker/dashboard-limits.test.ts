/**
 * Issue #15: the dashboard's limits section in headless Chromium against the real
 * runtime: declared limits, a scope's limit keys with running and queued counts, one
 * key's holders and queue, and setting a rule from the page.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TestRuntime, admin, useRuntimeWith } from "../support/runtime.js";
import { ConcurrencyServer } from "../support/concurrency-server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let rt: TestRuntime;
let work: ConcurrencyServer;
useRuntimeWith("test/worker/fixtures/concurrency-worker.ts", "WORK_URL", () => ConcurrencyServer.start(), (r, s) => ((rt = r), (work = s)));

if (!existsSync(CHROMIUM)) console.warn(`dashboard limits browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!existsSync(CHROMIUM))("issue #15: limits in the dashboard", () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(new URL("/restate/admin/ui", rt.url).href);
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("declared limits, a scope's keys, one key's holders and queue; a rule set from the page", async () => {
    await page.fill("#token", "test-token");
    await page.click("#connect");
    await expect.poll(() => page.locator("#status").textContent()).toMatch(/^connected/);
    expect(await page.locator("#limits tr", { hasText: "limited/solo" }).textContent()).toContain("concurrency 1");
    work.hold("ui");
    for (let i = 0; i < 3; i++) await rt.post("/limited/solo/send", { group: "ui", id: `u${i}` }, { "x-restate-limit-key": "acme" });
    await work.waitFor(() => work.inFlight("ui") === 1, "one in flight");
    await page.locator("#limits tr", { hasText: "limited/solo" }).click();
    await expect.poll(() => page.locator("#limit-keys tr", { hasText: "acme" }).textContent()).toMatch(/acme\s*1\s*2\s*concurrency 1/);
    await page.locator("#limit-keys tr", { hasText: "acme" }).click();
    await expect.poll(() => page.locator("#limiter tbody tr").count()).toBe(3);
    expect(await page.locator("#limiter tbody tr").first().textContent()).toContain("running");
    await page.fill("#pattern", "limited/solo/acme");
    await page.fill("#rule-concurrency", "3");
    await page.click("#set-rule");
    await expect.poll(() => page.locator("#status").textContent()).toBe("rule limited/solo/acme set");
    await work.waitFor(() => work.inFlight("ui") === 3, "the rule lets all three run");
    expect((await admin(rt, "limits/rules")).body).toEqual([expect.objectContaining({ pattern: "limited/solo/acme", limits: { concurrency: 3 } })]);
    work.release("ui");
    expect(pageErrors).toEqual([]);
  });
});
