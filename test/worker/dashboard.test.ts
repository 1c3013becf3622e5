/**
 * The dashboard (/restate/admin/ui): served only while the admin API is enabled,
 * with a strict CSP, and driven in headless Chromium against the real runtime:
 * connect with the token, open an object, an invocation and its journal, kill
 * from the page, run SQL; data that looks like HTML stays text.
 * CI installs Debian's chromium; without it the browser tests are skipped, loudly.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r) => (rt = r));

describe("the page", () => {
  test("is HTML with a strict content security policy, no data in it", async () => {
    const response = await rt.fetch("/restate/admin/ui");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toContain("<title>Resolute</title>");
    expect(html).not.toContain("innerHTML");
  });

  test("is not served when the admin API is disabled", async () => {
    const disabled = await WorkerdRuntime.start({ entry: ENTRY, bindings: { RESOLUTE_ADMIN_TOKEN: "" } });
    try {
      const response = await disabled.fetch("/restate/admin/ui");
      expect(response.status).toBe(403);
      expect(((await response.json()) as { message: string }).message).toContain("disabled");
    } finally {
      await disabled.dispose();
    }
  });
});

if (!existsSync(CHROMIUM)) console.warn(`dashboard browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!existsSync(CHROMIUM))("in a browser", () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(new URL("/restate/admin/ui", rt.url).href);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const status = () => page.locator("#status").textContent();

  test("a wrong token shows the Worker's refusal", async () => {
    await page.fill("#token", "wrong");
    await page.click("#connect");
    await expect.poll(status).toContain("401");
    expect(await page.locator("#status").getAttribute("class")).toBe("error");
    expect(await page.locator("#main").isHidden()).toBe(true);
  });

  test("connecting lists the services", async () => {
    await page.fill("#token", "test-token");
    await page.click("#connect");
    await expect.poll(status).toMatch(/^connected: \d+ services$/);
    expect(await page.locator("#services tr", { hasText: "counter" }).textContent()).toContain("add, sleepThenAdd, get, keys, reset");
  });

  test("an object's state and invocations, then one invocation's journal", async () => {
    const id = (await rt.post("/counter/ui-a/add", 4)).headers.get("x-restate-id")!;
    await page.selectOption("#service", "counter");
    await page.fill("#key", "ui-a");
    await page.click("#open");
    await expect.poll(status).toBe("counter/ui-a: 1 invocations");
    expect(await page.locator("#state tbody tr").allTextContents()).toEqual(["count41"]);
    await page.locator("#invocations tbody tr", { hasText: id }).click();
    await expect.poll(() => page.locator("#detail-id").textContent()).toBe(id);
    expect(await page.locator("#journal tbody tr").allTextContents()).toEqual(["0getStatecounttrue", "1setStatecounttrue"]);
  });

  test("issue #13: invocations across the deployment, filtered, open one's journal", async () => {
    const done = [(await rt.post("/counter/ui-all-1/add", 1)).headers.get("x-restate-id")!, (await rt.post("/counter/ui-all-2/add", 2)).headers.get("x-restate-id")!];
    const sleeping = (await rt.post("/counter/ui-all-3/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    const failing = (await rt.post("/steps/flaky/send", "ui-all-flaky")).body.invocationId as string;
    const listed = () => page.locator("#all").textContent();
    /** Lists again until the list contains `id` (the index lags the owners by a few hundred ms). */
    const listedWith = (id: string) => eventually(async () => (await page.click("#filter"), await page.waitForTimeout(50), (await listed())?.includes(id)));
    await page.selectOption("#f-service", "counter");
    await page.fill("#f-key", "ui-all-");
    await listedWith(sleeping);
    for (const id of done) expect(await listed()).toContain(id);
    expect(await page.locator("#all-count").textContent()).toBe("3 invocations");
    await page.selectOption("#f-status", "suspended");
    await page.click("#filter");
    await expect.poll(() => page.locator("#all tbody tr").count()).toBe(1);
    expect(await listed()).toContain(sleeping);
    // "failing": a last failure (retrying) or a failed result, any service.
    await page.selectOption("#f-service", "");
    await page.selectOption("#f-status", "");
    await page.fill("#f-key", "");
    await page.check("#f-failing");
    await listedWith(failing);
    expect(await listed()).not.toContain(sleeping);
    await page.uncheck("#f-failing");
    await page.fill("#f-since", "2999-01-01T00:00");
    await page.click("#filter");
    await expect.poll(() => page.locator("#all-count").textContent()).toBe("0 invocations");
    await page.fill("#f-since", "");
    await page.click("#filter");
    await page.locator("#all tbody tr", { hasText: done[1]! }).click();
    await expect.poll(() => page.locator("#detail-id").textContent()).toBe(done[1]);
    expect(await page.locator("#journal tbody tr").allTextContents()).toEqual(["0getStatecounttrue", "1setStatecounttrue"]);
    await admin(rt, `invocations/${sleeping}/kill`, "PATCH");
  });

  test("kill from the page stops a sleeping invocation; purge then deletes it", async () => {
    const id = (await rt.post("/counter/ui-k/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.status === "suspended");
    await page.fill("#invocation", id);
    await page.click("#lookup");
    await expect.poll(status).toBe(`invocation ${id}: suspended`);
    await page.click("#kill");
    await expect.poll(status).toBe(`invocation ${id}: completed`);
    expect(await page.locator("#summary tr", { hasText: "completion_failure" }).textContent()).toContain("killed");
    await page.click("#purge");
    await expect.poll(status).toBe(`purged ${id}`);
    expect((await admin(rt, `invocations/${id}`)).status).toBe(404);
  });

  test("SQL over the object's storage", async () => {
    await page.selectOption("#service", "counter");
    await page.fill("#key", "ui-a");
    await page.fill("#query", "SELECT key, value_utf8 FROM state");
    await page.click("#run");
    await expect.poll(status).toBe("1 rows");
    expect(await page.locator("#rows tbody tr").allTextContents()).toEqual(["count4"]);
  });

  test("a key that looks like HTML is shown as text, never run", async () => {
    const key = `<img src=x onerror="document.title='pwned'">`;
    await rt.post(`/counter/${encodeURIComponent(key)}/add`, 1);
    await page.fill("#key", key);
    await page.click("#open");
    // The previous key's rows stay until the new ones arrive: wait for this key's row.
    await expect.poll(() => page.locator("#invocations tbody").textContent()).toContain(key);
    expect(await page.locator("#invocations tbody tr").count()).toBe(1);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.title()).toBe("Resolute");
    expect(pageErrors).toEqual([]);
  });
});
