import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Debian's Chromium, driven headless by playwright-core. Without it (a developer machine that has
 * not run `apt-get install chromium`) the browser tests are skipped, except under CI, where they fail.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI']) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium for these tests`);

/** Where browser tests save their screenshots (named in `.gitignore`). */
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'app');

/** The viewports every app flow is checked at: a desktop and a small phone (360 px wide). */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 360, height: 740 },
} as const;

/** Starts headless Chromium with the flags this machine needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A browser context (its own cookies and storage: one person) with what the page did wrong recorded. */
export interface AppPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Requests to any host but this machine (aborted: the app must work offline). */
  readonly elsewhere: string[];
  /** Content-Security-Policy violations the page reported. */
  readonly cspViolations: string[];
  /** Uncaught exceptions and console errors. */
  readonly pageErrors: string[];
}

/**
 * Opens a new context at `origin` + `/app/` (or `path` below it) at `viewport`. Requests to other
 * hosts are aborted and recorded; CSP violations and page errors are recorded too.
 */
export async function openApp(browser: Browser, origin: string, options: { viewport?: { width: number; height: number }; path?: string } = {}): Promise<AppPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? VIEWPORTS.desktop });
  const page = await context.newPage();
  const watched = await watchPage(page);
  await page.goto(`${origin}/app${options.path ?? '/'}`);
  return { context, ...watched };
}

/**
 * Keeps `page` on this machine (a request to any other host is aborted and recorded) and records
 * its Content-Security-Policy violations, uncaught exceptions and console errors.
 */
export async function watchPage(page: Page): Promise<Omit<AppPage, 'context'>> {
  const elsewhere: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  await page.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
    elsewhere.push(route.request().url());
    return route.abort();
  });
  await page.exposeFunction('reportCspViolation', (violation: string) => cspViolations.push(violation));
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.reportCspViolation(e.violatedDirective + ' ' + e.blockedURI));",
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource|WebSocket connection/.test(message.text())) pageErrors.push(message.text());
  });
  return { page, elsewhere, cspViolations, pageErrors };
}

/** Signs in through the app's sign-in form and waits for the signed-in shell. */
export async function signInThroughApp(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Saves a full-page screenshot as `<name>.png` under {@link ARTIFACTS_DIR}. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

let axeSource: string | null = null;

/**
 * Runs axe-core in the page (WCAG 2.1 A and AA rules) and fails listing every violation. The
 * script is evaluated through the DevTools protocol, which the page's CSP does not govern, so
 * the page's own policy stays as strict as in production.
 */
export async function expectAccessible(page: Page): Promise<void> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate<string[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((result) =>
      result.violations.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => JSON.stringify(n.target)).join(', ') + ')'))
  `);
  expect(violations, `accessibility violations: ${violations.join('; ')}`).toEqual([]);
}

/** Fails when the page went to another host, broke its CSP or threw. */
export function expectCleanPage(app: AppPage): void {
  expect(app.elsewhere).toEqual([]);
  expect(app.cspViolations).toEqual([]);
  expect(app.pageErrors).toEqual([]);
}
