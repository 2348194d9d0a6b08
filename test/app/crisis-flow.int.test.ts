import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInstrument, type Instrument } from '../helpers/instruments.js';
import { TEST_PASSWORD, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { expectAccessible, expectCleanPage, haveChromium, launchBrowser, openApp, saveScreenshot, signInThroughApp, VIEWPORTS, type AppPage } from '../helpers/browser.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';


const origin = (ts: TestServer) => new URL(ts.url).origin;
/** Browser flows with two people on a loaded 2-core CI machine: more than the default 30 s each. */
const FLOW_TIMEOUT_MS = 120_000;
/** How soon after the patient's confirmation the specialist must see the critical alert, in milliseconds. */
const LIVE_WITHIN_MS = 2000;

/** The item of a patient's EPDS self-harm alert in the dashboard's panel. */
const alertOf = (page: Page, patient: TestPatient) =>
  page.locator(`[data-testid="alert-item"]:has(a[href="/app/patients/${patient.id}"])`).filter({ hasText: 'EPDS self-harm item (item 10)' });

describe.skipIf(!haveChromium)('the crisis flow: a patient\'s self-harm answer reaches the specialist\'s open dashboard (headless Chromium, two contexts)', { timeout: FLOW_TIMEOUT_MS }, () => {
  let browser: Browser;
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let specialist: TestUser;
  let epds: Instrument;
  const apps: AppPage[] = [];

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    specialist = await tenant.user('MENTAL_HEALTH_SPECIALIST', 'Mina Mental-Health');
    epds = await loadInstrument(ts.url, coordinator.token, 'EPDS');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.context.close()));
    await browser?.close();
    await ts?.close();
  });

  /** Signs the specialist in and waits for her dashboard with both live subscriptions open on the server. */
  async function openDashboard(viewport: { width: number; height: number }): Promise<AppPage> {
    const app = await openApp(browser, origin(ts), { viewport });
    apps.push(app);
    const before = ts.server.services.feed.openedCount;
    await signInThroughApp(app.page, specialist.email, TEST_PASSWORD);
    await app.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await app.page.getByRole('heading', { name: /^Alerts \(\d+ unresolved\)$/ }).waitFor();
    await expect.poll(() => ts.server.services.feed.openedCount).toBeGreaterThanOrEqual(before + 2);
    await expect.poll(() => app.page.getByTestId('connection-state').textContent()).toBe('Live');
    return app;
  }

  /** Signs the patient in and waits for her check-in page. */
  async function openCheckIn(patient: TestPatient, viewport: { width: number; height: number }): Promise<AppPage> {
    const app = await openApp(browser, origin(ts), { viewport });
    apps.push(app);
    await signInThroughApp(app.page, patient.user!.email, TEST_PASSWORD);
    await app.page.getByRole('heading', { name: 'Check in, Testa' }).waitFor();
    return app;
  }

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`shows the patient's positive item 10 as a CRITICAL alert on the open dashboard within 2 s of her confirmation, and the specialist acknowledges it (${name})`, async () => {
      const patient = await tenant.patient(coordinator, { team: [specialist], withLogin: true });
      const dashboard = await openDashboard(viewport);
      const checkIn = await openCheckIn(patient, viewport);
      expect(await alertOf(dashboard.page, patient).count()).toBe(0);
      // Survives only if the dashboard is never reloaded or navigated away from.
      await dashboard.page.evaluate('window.crisisFlowMarker = "still here"');

      const form = checkIn.page.getByRole('form', { name: epds.name });
      await form.waitFor();
      const group = (item: Instrument['items'][number]) => form.getByRole('group', { name: `${item.number}. ${item.text}`, exact: true });
      const selfHarm = epds.items.find((item) => item.selfHarm)!;
      expect(selfHarm.number).toBe(10);
      // Every other item answered with its option scoring 0, so item 10 alone raises an alert.
      const zeroOf = (item: Instrument['items'][number]) => item.options.find((option) => option.score === 0)!;
      for (const item of epds.items.filter((i) => !i.selfHarm)) await group(item).getByRole('radio', { name: zeroOf(item).label, exact: true }).check();
      const positive = selfHarm.options.find((option) => option.score === 3)!;
      await group(selfHarm).getByRole('radio', { name: positive.label, exact: true }).check();
      await checkIn.page.getByTestId('safety-message').waitFor();
      const expectedTotal = positive.score;

      // Both waits start before the answers are sent; each records when its page showed the result.
      const alertShown = alertOf(dashboard.page, patient).waitFor({ timeout: 15_000 }).then(() => Date.now());
      await form.getByRole('button', { name: 'Send my answers' }).click();
      const confirmation = form.getByRole('status').filter({ hasText: /^Sent\./ });
      await confirmation.waitFor({ timeout: 15_000 });
      const confirmed = Date.now();
      expect(await confirmation.textContent()).toBe(`Sent. Your ${epds.name} score is ${expectedTotal} out of 30.`);
      const elapsed = (await alertShown) - confirmed;
      console.info(`crisis flow (${name}): critical alert on the dashboard ${elapsed} ms after the patient's confirmation (negative: before it)`);
      expect(elapsed).toBeLessThan(LIVE_WITHIN_MS);

      const item = alertOf(dashboard.page, patient);
      expect(await item.getAttribute('data-severity')).toBe('CRITICAL');
      expect(await item.getByTestId('alert-status').textContent()).toBe('Open');
      expect(await item.locator('.alert-title').textContent()).toContain('EPDS self-harm item (item 10)');
      expect(await dashboard.page.getByTestId('alert-item').first().getAttribute('data-alert-id')).toBe(await item.getAttribute('data-alert-id'));
      expect(await dashboard.page.evaluate<string | undefined>('window.crisisFlowMarker')).toBe('still here');
      await expectAccessible(checkIn.page);
      await saveScreenshot(checkIn.page, `crisis-flow-check-in-${name}`);
      await expectAccessible(dashboard.page);
      await saveScreenshot(dashboard.page, `crisis-flow-dashboard-open-${name}`);

      await item.getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => item.getByTestId('alert-status').textContent()).toBe('Acknowledged');
      expect(await item.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
      const alertId = (await item.getAttribute('data-alert-id'))!;
      const stored = await gqlOk<{ alert: Record<string, unknown> }>(
        ts.url,
        'query($id: ID!) { alert(id: $id) { status severity acknowledgedBy patient { id } } }',
        { id: alertId },
        specialist.token,
      );
      expect(stored.alert).toEqual({ status: 'ACKNOWLEDGED', severity: 'CRITICAL', acknowledgedBy: specialist.id, patient: { id: patient.id } });
      expect(await dashboard.page.evaluate<string | undefined>('window.crisisFlowMarker')).toBe('still here');
      await expectAccessible(dashboard.page);
      await saveScreenshot(dashboard.page, `crisis-flow-dashboard-acknowledged-${name}`);
      expectCleanPage(checkIn);
      expectCleanPage(dashboard);
      await checkIn.context.close();
      await dashboard.context.close();
    });
  }
});
