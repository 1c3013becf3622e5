/**
 * Headless Chromium for the dashboard tests: CI installs Debian's chromium; without
 * it the browser tests are skipped, loudly. `useDashboard` opens the page in a new
 * browser before a block's tests (closed after) and collects the page's errors.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { WorkerdRuntime } from "./runtime.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** Warns once per file when the browser tests cannot run. */
export function warnWithoutChromium(what: string): void {
  if (!HAS_CHROMIUM) console.warn(`${what} SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

/** The dashboard page of `runtime()` in a fresh browser, for the tests of the calling block. */
export function useDashboard(runtime: () => WorkerdRuntime): { readonly page: Page; readonly pageErrors: readonly string[] } {
  let browser: Browser | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(new URL("/restate/admin/ui", runtime().url).href);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get page() {
      return page!;
    },
    pageErrors,
  };
}
