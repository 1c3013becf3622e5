/**
 * The dashboard (/restate/admin/ui): served only while the admin API is enabled,
 * with a strict CSP, and driven in headless Chromium against the real runtime:
 * connect with the token, open an object, an invocation and its journal, kill
 * from the page, run SQL; data that looks like HTML stays text.
 * CI installs Debian's chromium; without it the browser tests are skipped, loudly.
 */
import { describe, expect, test } from "vitest";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import { HAS_CHROMIUM, useDashboard, warnWithoutChromium } from "../support/browser.js";

const ENTRY = "test/worker/fixtures/worker.ts";
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

warnWithoutChromium("dashboard browser tests");

describe.skipIf(!HAS_CHROMIUM)("in a browser", () => {
  const ui = useDashboard(() => rt);

  const status = () => ui.page.locator("#status").textContent();

  test("a wrong token shows the Worker's refusal", async () => {
    await ui.page.fill("#token", "wrong");
    await ui.page.click("#connect");
    await expect.poll(status).toContain("401");
    expect(await ui.page.locator("#status").getAttribute("class")).toBe("error");
    expect(await ui.page.locator("#main").isHidden()).toBe(true);
  });

  test("connecting lists the services", async () => {
    await ui.page.fill("#token", "test-token");
    await ui.page.click("#connect");
    await expect.poll(status).toMatch(/^connected: \d+ services$/);
    expect(await ui.page.locator("#services tr", { hasText: "counter" }).textContent()).toContain("add, sleepThenAdd, holdThenAdd, spinThenAdd, get, keys, reset");
  });

  test("an object's state and invocations, then one invocation's journal", async () => {
    const id = (await rt.post("/counter/ui-a/add", 4)).headers.get("x-restate-id")!;
    await ui.page.selectOption("#service", "counter");
    await ui.page.fill("#key", "ui-a");
    await ui.page.click("#open");
    await expect.poll(status).toBe("counter/ui-a: 1 invocations");
    expect(await ui.page.locator("#state tbody tr").allTextContents()).toEqual(["count41"]);
    await ui.page.locator("#invocations tbody tr", { hasText: id }).click();
    await expect.poll(() => ui.page.locator("#detail-id").textContent()).toBe(id);
    expect(await ui.page.locator("#journal tbody tr").allTextContents()).toEqual(["0getStatecounttrue", "1setStatecounttrue"]);
  });

  test("issue #13: invocations across the deployment, filtered, open one's journal", async () => {
    const done = [(await rt.post("/counter/ui-all-1/add", 1)).headers.get("x-restate-id")!, (await rt.post("/counter/ui-all-2/add", 2)).headers.get("x-restate-id")!];
    const sleeping = (await rt.post("/counter/ui-all-3/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    const failing = (await rt.post("/steps/flaky/send", "ui-all-flaky")).body.invocationId as string;
    const listed = () => ui.page.locator("#all").textContent();
    /** Lists again until the list contains `id` (the index lags the owners by a few hundred ms). */
    const listedWith = (id: string) => eventually(async () => (await ui.page.click("#filter"), await ui.page.waitForTimeout(50), (await listed())?.includes(id)));
    await ui.page.selectOption("#f-service", "counter");
    await ui.page.fill("#f-key", "ui-all-");
    await listedWith(sleeping);
    for (const id of done) expect(await listed()).toContain(id);
    expect(await ui.page.locator("#all-count").textContent()).toBe("3 invocations");
    await ui.page.selectOption("#f-status", "suspended");
    await ui.page.click("#filter");
    await expect.poll(() => ui.page.locator("#all tbody tr").count()).toBe(1);
    expect(await listed()).toContain(sleeping);
    // "failing": a last failure (retrying) or a failed result, any service.
    await ui.page.selectOption("#f-service", "");
    await ui.page.selectOption("#f-status", "");
    await ui.page.fill("#f-key", "");
    await ui.page.check("#f-failing");
    await listedWith(failing);
    expect(await listed()).not.toContain(sleeping);
    await ui.page.uncheck("#f-failing");
    await ui.page.fill("#f-since", "2999-01-01T00:00");
    await ui.page.click("#filter");
    await expect.poll(() => ui.page.locator("#all-count").textContent()).toBe("0 invocations");
    await ui.page.fill("#f-since", "");
    await ui.page.click("#filter");
    await ui.page.locator("#all tbody tr", { hasText: done[1]! }).click();
    await expect.poll(() => ui.page.locator("#detail-id").textContent()).toBe(done[1]);
    expect(await ui.page.locator("#journal tbody tr").allTextContents()).toEqual(["0getStatecounttrue", "1setStatecounttrue"]);
    await admin(rt, `invocations/${sleeping}/kill`, "PATCH");
  });

  test("kill from the page stops a sleeping invocation; purge then deletes it", async () => {
    const id = (await rt.post("/counter/ui-k/sleepThenAdd/send", 3_600_000)).body.invocationId as string;
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.status === "suspended");
    await ui.page.fill("#invocation", id);
    await ui.page.click("#lookup");
    await expect.poll(status).toBe(`invocation ${id}: suspended`);
    await ui.page.click("#kill");
    await expect.poll(status).toBe(`invocation ${id}: completed`);
    expect(await ui.page.locator("#summary tr", { hasText: "completion_failure" }).textContent()).toContain("killed");
    await ui.page.click("#purge");
    await expect.poll(status).toBe(`purged ${id}`);
    expect((await admin(rt, `invocations/${id}`)).status).toBe(404);
  });

  test("SQL over the object's storage", async () => {
    await ui.page.selectOption("#service", "counter");
    await ui.page.fill("#key", "ui-a");
    await ui.page.fill("#query", "SELECT key, value_utf8 FROM state");
    await ui.page.click("#run");
    await expect.poll(status).toBe("1 rows");
    expect(await ui.page.locator("#rows tbody tr").allTextContents()).toEqual(["count4"]);
  });

  test("a key that looks like HTML is shown as text, never run", async () => {
    const key = `<img src=x onerror="document.title='pwned'">`;
    await rt.post(`/counter/${encodeURIComponent(key)}/add`, 1);
    await ui.page.fill("#key", key);
    await ui.page.click("#open");
    // The previous key's rows stay until the new ones arrive: wait for this key's row.
    await expect.poll(() => ui.page.locator("#invocations tbody").textContent()).toContain(key);
    expect(await ui.page.locator("#invocations tbody tr").count()).toBe(1);
    expect(await ui.page.locator("img").count()).toBe(0);
    expect(await ui.page.title()).toBe("Resolute");
    expect(ui.pageErrors).toEqual([]);
  });
});
