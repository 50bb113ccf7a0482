import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * The inbox's browser tests: Debian's Chromium through `playwright-core` (no browser is
 * downloaded), found at `CHROMIUM_PATH` or `/usr/bin/chromium`; without one the tests are
 * skipped by name with this reason.
 */
export const chromiumPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find(
  (p): p is string => typeof p === 'string' && existsSync(p),
);
export const noChromium = chromiumPath
  ? ''
  : ' (skipped: no Chromium at CHROMIUM_PATH or /usr/bin/chromium)';

/** Where screenshots go (git-ignored); made by `launchChromium`. */
export const artifacts = path.resolve('test-artifacts');

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  await mkdir(artifacts, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
}

/**
 * A fresh browser profile (its own session storage) at desktop or phone size, on `base`; what
 * its console reports as an error (a CSP violation, an uncaught error) goes to `consoleErrors`.
 */
export async function openPage(
  browser: Browser,
  base: string,
  consoleErrors: string[],
  size: 'desktop' | 'phone' | { width: number; height: number } = 'desktop',
): Promise<{ context: BrowserContext; page: Page }> {
  const viewport =
    size === 'desktop'
      ? { width: 1280, height: 800 }
      : size === 'phone'
        ? { width: 375, height: 740 }
        : size;
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return { context, page };
}

/**
 * Signs in on the page's sign-in form with an API token and waits for the inbox; with `role`,
 * also for `GET /v1/me`'s answer (the header then offers what that role may use).
 */
export async function signIn(page: Page, who: { token: string }, role?: string): Promise<void> {
  await page.getByLabel('API token').fill(who.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#chat-list').waitFor();
  if (role) await page.locator(`header[data-role="${role}"]`).waitFor();
}

/**
 * `openPage` on the page's address, ready to sign in; a control that never shows fails its
 * step after 8 s, not the whole test after 30.
 */
export async function openSignIn(
  browser: Browser,
  base: string,
  consoleErrors: string[],
  size: 'desktop' | 'phone' | { width: number; height: number } = 'desktop',
): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await openPage(browser, base, consoleErrors, size);
  opened.page.setDefaultTimeout(8_000);
  await opened.page.goto(base);
  return opened;
}

/** What a page's console said that it never should: CSP violations and script errors (a refused
 * request is logged by Chromium as a failed load, which a test may cause on purpose). */
export const unexpectedConsoleErrors = (consoleErrors: readonly string[]) =>
  consoleErrors.filter((e) => !e.startsWith('Failed to load resource'));
