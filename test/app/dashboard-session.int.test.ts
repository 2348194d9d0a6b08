import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { expectCleanPage, haveChromium, launchBrowser, openApp, signInThroughApp, type AppPage } from '../helpers/browser.js';
import { logMood } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Access tokens live 65 s, so the app refreshes 5 s after sign-in (a minute ahead of expiry). */
const SHORT_TOKENS = { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '65' };

describe.skipIf(!haveChromium)("the dashboard across its session's token refresh (headless Chromium)", { timeout: 120_000 }, () => {
  let browser: Browser;
  let ts: TestServer;
  let midwife: TestUser;
  let patient: TestPatient;
  let app: AppPage | null = null;

  beforeAll(async () => {
    ts = await startTestServer({ env: SHORT_TOKENS });
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE', 'Maya Midwife');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await app?.context.close();
    await browser?.close();
    await ts?.close();
  });

  it('stays signed in and live when a refresh makes the server close the old token\'s socket ("Session rotated")', async () => {
    app = await openApp(browser, new URL(ts.url).origin);
    const { page } = app;
    const before = ts.server.services.feed.openedCount;
    await signInThroughApp(page, midwife.email, TEST_PASSWORD);
    await expect.poll(() => ts.server.services.feed.openedCount).toBeGreaterThanOrEqual(before + 2);
    const token = () => page.evaluate<string | null>("JSON.parse(window.sessionStorage.getItem('cradle.session') || '{}').accessToken || null");
    const first = await token();
    expect(first).toBeTruthy();
    // The refresh rotates the session; the server closes the sockets of the old token with 4401.
    await expect.poll(token, { timeout: 20_000 }).not.toBe(first);
    await expect.poll(() => ts.server.services.feed.openedCount, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 4);
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    const logged = await logMood(ts.url, patient, 3);
    await page.locator(`[data-testid="feed-item"][data-update-id="${logged.id}"]`).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    expectCleanPage(app);
  });
});
