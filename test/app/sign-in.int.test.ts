import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/auth/totp.js';
import { TEST_PASSWORD, TestTenant, type TestUser } from '../helpers/builders.js';
import { expectAccessible, expectCleanPage, haveChromium, launchBrowser, openApp, saveScreenshot, signInThroughApp, VIEWPORTS } from '../helpers/browser.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { startTestServerWithClock, type TestServer } from '../helpers/test-server.js';

const STEP_MS = 30_000;
const origin = (ts: TestServer) => new URL(ts.url).origin;

describe.skipIf(!haveChromium)('signing in to the web app (headless Chromium)', () => {
  let browser: Browser;
  let ts: TestServer;
  let clock: { now: number };
  let tenant: TestTenant;
  let midwife: TestUser;

  beforeAll(async () => {
    // The server's clock starts 5 s into a TOTP step and moves only when a test moves it.
    ({ ts, clock } = await startTestServerWithClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5000));
    tenant = await TestTenant.create(ts);
    midwife = await tenant.user('MIDWIFE', 'Maya Midwife');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`signs in, shows the account the server reports and signs out (${name})`, async () => {
      const app = await openApp(browser, origin(ts), { viewport });
      await app.page.getByRole('heading', { name: 'Cradle' }).waitFor();
      await expectAccessible(app.page);
      await saveScreenshot(app.page, `sign-in-${name}`);
      await signInThroughApp(app.page, midwife.email, TEST_PASSWORD);
      await app.page.goto(`${origin(ts)}/app/account`);
      await expect.poll(() => app.page.getByRole('definition').allTextContents()).toEqual(['Maya Midwife', midwife.email, 'Midwife']);
      await expectAccessible(app.page);
      await saveScreenshot(app.page, `account-${name}`);
      await app.page.getByRole('button', { name: 'Sign out' }).click();
      await app.page.getByText('You have signed out.').waitFor();
      expect(await app.page.evaluate('window.sessionStorage.length')).toBe(0);
      expectCleanPage(app);
      await app.context.close();
    });
  }

  it("shows the server's refusal of a wrong password and stays signed out", async () => {
    const app = await openApp(browser, origin(ts));
    await app.page.getByLabel('E-mail').fill(midwife.email);
    await app.page.getByLabel('Password').fill('not the password at all');
    await app.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => app.page.getByRole('alert').textContent()).toBe('The e-mail address or password is wrong.');
    expect(await app.page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expectCleanPage(app);
    await app.context.close();
  });

  it('returns to sign-in, saying so, when the server ends the session', async () => {
    const app = await openApp(browser, origin(ts));
    await signInThroughApp(app.page, midwife.email, TEST_PASSWORD);
    const stored = await app.page.evaluate<string | null>("window.sessionStorage.getItem('cradle.session')");
    const { accessToken } = JSON.parse(stored ?? '{}') as { accessToken: string };
    // On the account page (no live socket, which would hear the end first with a 4401 close): the next request hears it.
    await app.page.goto(`${origin(ts)}/app/account`);
    await app.page.getByRole('heading', { name: 'Your account' }).waitFor();
    await gqlOk(ts.url, 'mutation { logout }', {}, accessToken);
    await app.page.getByRole('link', { name: 'Dashboard' }).click();
    await app.page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    expect(await app.page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await app.context.close();
  });

  it('enrols an authenticator when the tenant requires one, then signs in with a code', async () => {
    await gqlOk(ts.url, 'mutation { setTenantSecurityPolicy(requireTotpForClinicians: true) { requireTotpForClinicians } }', {}, tenant.admin.token);
    // The builder signs its users in, which the policy now refuses before enrolment: create the GP directly.
    const email = `gp-${Date.now()}@test.example`;
    const input = { email, password: TEST_PASSWORD, role: 'PRIMARY_CARE_PROVIDER', displayName: 'Gita GP' };
    await gqlOk(ts.url, 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', { input }, tenant.admin.token);
    const app = await openApp(browser, origin(ts));
    await app.page.getByLabel('E-mail').fill(email);
    await app.page.getByLabel('Password').fill(TEST_PASSWORD);
    await app.page.getByRole('button', { name: 'Sign in' }).click();
    const secret = (await app.page.locator('code.secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await app.page.getByLabel('Code from your authenticator app').fill(totpCode(secret, clock.now));
    await app.page.getByRole('button', { name: 'Enable second factor' }).click();
    await app.page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    expect(await app.page.locator('.recovery-codes li').count()).toBe(10);
    await expectAccessible(app.page);
    await app.page.getByRole('button', { name: 'Continue to sign in' }).click();
    // A code of the step just used is refused (replay protection): the next step's code signs in.
    clock.now += STEP_MS;
    await app.page.getByLabel('Authenticator code or recovery code').fill(totpCode(secret, clock.now));
    await app.page.getByRole('button', { name: 'Sign in' }).click();
    await app.page.getByRole('button', { name: 'Sign out' }).waitFor();
    expectCleanPage(app);
    await app.context.close();
  });
});
