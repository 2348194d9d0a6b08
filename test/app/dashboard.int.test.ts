import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { expectAccessible, expectCleanPage, haveChromium, launchBrowser, openApp, saveScreenshot, signInThroughApp, VIEWPORTS, type AppPage } from '../helpers/browser.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';
import { historyOf, runDue, submitEpds } from '../alerting/alerting-helpers.js';

const MINUTE = 60_000;
/** The clock moves past escalation timeouts: tokens and sessions must outlive that. */
const LONG_SESSIONS = { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3600', CRADLE_SESSION_IDLE_MINUTES: '1440', CRADLE_SESSION_MAX_HOURS: '720' };
const origin = (ts: TestServer) => new URL(ts.url).origin;

/** The PAGED steps of an alert's history as [step, round, tier]. */
async function pages(ts: TestServer, alertId: string): Promise<number[][]> {
  return (await historyOf(ts, alertId))
    .filter((h) => h['action'] === 'PAGED')
    .map((h) => [Number(h['escalation_step']), Number(h['escalation_round']), Number(h['escalation_tier'])]);
}

/** The id of the patient's alert raised by the built-in EPDS self-harm protocol. */
async function selfHarmAlertId(ts: TestServer, patient: TestPatient): Promise<string> {
  const rows = await rawSql(ts, `select a.id from alert a join protocol p on p.id = a.protocol_id where a.patient_id = ? and p.built_in_key = 'epds-self-harm'`, [patient.id]);
  expect(rows).toHaveLength(1);
  return rows[0]!['id'] as string;
}

/** The alert item of a patient's alert in the dashboard's panel. */
const alertOf = (page: Page, patient: TestPatient) => page.locator(`[data-testid="alert-item"]:has(a[href="/app/patients/${patient.id}"])`);
/** The card of a patient in "My patients". */
const cardOf = (page: Page, patient: TestPatient) => page.locator(`[data-testid="patient-card"][data-patient-id="${patient.id}"]`);

/** Fails when the page scrolls sideways (the view must fit its viewport, 360 px included). */
async function expectNoHorizontalScroll(page: Page): Promise<void> {
  // A string, evaluated in the page: this project's TypeScript has no DOM types.
  const { overflow, widest } = await page.evaluate<{ overflow: number; widest: string[] }>(`(() => {
    const width = document.documentElement.clientWidth;
    const describe = (el) => el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ' (right ' + Math.round(el.getBoundingClientRect().right) + ')';
    const beyond = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > width + 0.5);
    return { overflow: document.documentElement.scrollWidth - width, widest: beyond.slice(0, 5).map(describe) };
  })()`);
  expect(overflow, `elements past the right edge: ${widest.join(', ')}`).toBeLessThanOrEqual(0);
}

const LOG = {
  mood: `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`,
  feeding: `mutation($input: LogFeedingInput!) { logFeeding(input: $input) { id } }`,
  vitals: `mutation($input: LogVitalsInput!) { logVitals(input: $input) { id } }`,
  sleep: `mutation($input: LogSleepInput!) { logSleep(input: $input) { id } }`,
};

/** Browser flows on a loaded 2-core CI machine: more than the default 30 s each. */
const FLOW_TIMEOUT_MS = 120_000;

describe.skipIf(!haveChromium)('the clinician dashboard (headless Chromium)', { timeout: FLOW_TIMEOUT_MS }, () => {
  let browser: Browser;
  let ts: TestServer;
  let clock: { now: number };
  let tenant: TestTenant;
  let coordinator: TestUser;
  let mentalHealth: TestUser;
  let gp: TestUser;
  let lactation: TestUser;
  let midwife: TestUser;
  const apps: AppPage[] = [];

  /** A patient (with her own login) on the whole care team. */
  const newPatient = () => tenant.patient(coordinator, { team: [mentalHealth, gp, lactation, midwife], withLogin: true });

  /**
   * Opens the app as `user` at `viewport`, signs in and waits for the dashboard with its two live
   * subscriptions (updates and alerts) open on the server, so what the test writes next is live.
   */
  async function openDashboard(user: TestUser, viewport: { width: number; height: number } = VIEWPORTS.desktop): Promise<AppPage> {
    const app = await openApp(browser, origin(ts), { viewport });
    apps.push(app);
    const before = ts.server.services.feed.openedCount;
    await signInThroughApp(app.page, user.email, TEST_PASSWORD);
    await app.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await app.page.getByRole('heading', { name: /^Alerts \(\d+ unresolved\)$/ }).waitFor();
    await expect.poll(() => ts.server.services.feed.openedCount).toBeGreaterThanOrEqual(before + 2);
    await expect.poll(() => app.page.getByTestId('connection-state').textContent()).toBe('Live');
    return app;
  }

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(Date.now(), { env: LONG_SESSIONS }));
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR', 'Cora Coordinator');
    mentalHealth = await tenant.user('MENTAL_HEALTH_SPECIALIST', 'Mina Mental-Health');
    gp = await tenant.user('PRIMARY_CARE_PROVIDER', 'Gita GP');
    lactation = await tenant.user('LACTATION_CONSULTANT', 'Lena Lactation');
    midwife = await tenant.user('MIDWIFE', 'Maya Midwife');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.context.close()));
    await browser?.close();
    await ts?.close();
  });

  it("shows a patient's self-harm EPDS as a CRITICAL alert on the mental-health specialist's dashboard live, within 2 s", async () => {
    const patient = await newPatient();
    const app = await openDashboard(mentalHealth);
    await submitEpds(ts, patient, 2);
    const answered = Date.now();
    await alertOf(app.page, patient).waitFor({ timeout: 10_000 });
    const elapsed = Date.now() - answered;
    expect(elapsed).toBeLessThan(2000);
    const item = alertOf(app.page, patient);
    expect(await item.getAttribute('data-severity')).toBe('CRITICAL');
    expect(await item.getByTestId('alert-status').textContent()).toBe('Open');
    expect(await item.locator('.alert-title').textContent()).toContain('EPDS self-harm item (item 10)');
    // Critical first: the panel's first item is this critical alert, whatever else is open.
    expect(await app.page.getByTestId('alert-item').first().getAttribute('data-severity')).toBe('CRITICAL');
    // The live feed got the screening too, and her card shows it.
    await cardOf(app.page, patient).locator('[data-kind="SCREENING"]').waitFor();
    expect(await cardOf(app.page, patient).locator('[data-kind="SCREENING"] dd').textContent()).toMatch(/^EPDS 2 of 30, below the cut-offs, self-harm item positive/);
    console.info(`dashboard: critical alert shown ${elapsed} ms after submitScreening answered`);
    expectCleanPage(app);
  });

  it('stops the escalation when the alert is acknowledged in the dashboard, while an unacknowledged one pages the next tier', async () => {
    const acknowledged = await newPatient();
    const control = await newPatient();
    const app = await openDashboard(mentalHealth);
    await submitEpds(ts, acknowledged, 1);
    await submitEpds(ts, control, 1);
    await alertOf(app.page, acknowledged).waitFor();
    await alertOf(app.page, control).waitFor();
    const ackedId = await selfHarmAlertId(ts, acknowledged);
    const controlId = await selfHarmAlertId(ts, control);
    expect(await pages(ts, ackedId)).toEqual([[0, 0, 0]]);
    expect(await pages(ts, controlId)).toEqual([[0, 0, 0]]);

    await alertOf(app.page, acknowledged).getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => alertOf(app.page, acknowledged).getByTestId('alert-status').textContent()).toBe('Acknowledged');
    expect(await alertOf(app.page, acknowledged).getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    const [row] = await rawSql(ts, 'select status, acknowledged_by from alert where id = ?', [ackedId]);
    expect(row).toEqual({ status: 'ACKNOWLEDGED', acknowledged_by: mentalHealth.id });

    // Past the first tier's 10-minute timeout: the control pages primary care (tier 2); the acknowledged one does not.
    clock.now += 10 * MINUTE + 1000;
    await runDue(ts);
    await expect.poll(() => pages(ts, controlId)).toEqual([[0, 0, 0], [1, 0, 1]]);
    await runDue(ts);
    expect(await pages(ts, ackedId)).toEqual([[0, 0, 0]]);
    // The dashboard heard the page live and shows the tier it reached.
    await expect.poll(() => alertOf(app.page, control).locator('.alert-meta').textContent()).toContain('paged tier 2');
    expect(await alertOf(app.page, acknowledged).locator('.alert-meta').textContent()).toContain('paged tier 1');
    expectCleanPage(app);
  });

  it("never shows screening data on a lactation consultant's dashboard or timeline, while the mental-health specialist's shows it", async () => {
    const patient = await newPatient();
    const token = patient.user!.token;
    await gqlOk(ts.url, LOG.feeding, { input: { patientId: patient.id, infantId: patient.infantId, method: 'BREAST', durationMinutes: 20, wetDiapers: 1 } }, token);
    await gqlOk(ts.url, LOG.mood, { input: { patientId: patient.id, score: 2 } }, token);
    await submitEpds(ts, patient, 1);

    const consultant = await openDashboard(lactation);
    const specialist = await openDashboard(mentalHealth);
    // Positive controls: each sees her card with what her role reads.
    await cardOf(consultant.page, patient).locator('[data-kind="FEEDING"]').waitFor();
    await cardOf(specialist.page, patient).locator('[data-kind="SCREENING"]').waitFor();
    expect(await cardOf(specialist.page, patient).locator('[data-kind="MOOD"] dd').textContent()).toMatch(/^Mood 2 of 5/);
    await alertOf(specialist.page, patient).waitFor();

    // Live: a new screening and then a feeding. The consultant's feed gets the feeding (in cursor
    // order after the screening), so the screening was withheld, not late.
    await submitEpds(ts, patient, 0);
    const feeding = await gqlOk<{ logFeeding: { id: string } }>(ts.url, LOG.feeding, { input: { patientId: patient.id, infantId: patient.infantId, method: 'FORMULA', volumeMl: 90 } }, token);
    await consultant.page.locator(`[data-testid="feed-item"][data-update-id="${feeding.logFeeding.id}"]`).waitFor();
    await specialist.page.locator('[data-testid="feed-item"][data-kind="SCREENING"]').first().waitFor();

    for (const page of [consultant.page]) {
      expect(await page.locator('[data-kind="SCREENING"]').count()).toBe(0);
      expect(await page.locator('[data-kind="MOOD"]').count()).toBe(0);
      expect(await alertOf(page, patient).count()).toBe(0);
      expect(await page.locator('main').textContent()).not.toMatch(/EPDS|screening|self-harm/i);
    }
    expect(await specialist.page.locator('main').textContent()).toMatch(/EPDS/);

    // Her timeline: the consultant gets the feeding chart and no EPDS chart; the specialist the EPDS chart.
    await cardOf(consultant.page, patient).getByRole('link').click();
    await consultant.page.getByTestId('chart-feeding').waitFor();
    await consultant.page.getByTestId('recent-update').first().waitFor();
    expect(await consultant.page.getByTestId('chart-epds').count()).toBe(0);
    expect(await consultant.page.getByTestId('chart-mood').count()).toBe(0);
    expect(await consultant.page.locator('[data-testid="recent-update"][data-kind="SCREENING"]').count()).toBe(0);
    expect(await consultant.page.locator('main').textContent()).not.toMatch(/EPDS|screening|self-harm/i);
    await expectAccessible(consultant.page);
    await saveScreenshot(consultant.page, 'timeline-lactation-consultant-desktop');

    await cardOf(specialist.page, patient).getByRole('link').click();
    await specialist.page.getByTestId('chart-epds').waitFor();
    expect(await specialist.page.locator('[data-testid="recent-update"][data-kind="SCREENING"]').count()).toBe(2);
    expect(await specialist.page.getByTestId('chart-feeding').count()).toBe(0);
    expectCleanPage(consultant);
    expectCleanPage(specialist);
  });

  it("returns to sign-in, saying so, as soon as the server ends the session (the dashboard's socket closes 4401)", async () => {
    const app = await openDashboard(midwife);
    const stored = await app.page.evaluate<string | null>("window.sessionStorage.getItem('cradle.session')");
    const { accessToken } = JSON.parse(stored ?? '{}') as { accessToken: string };
    await gqlOk(ts.url, 'mutation { logout }', {}, accessToken);
    await app.page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    expect(await app.page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expectCleanPage(app);
  });

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`shows the dashboard, resolves an alert with a note and charts a timeline, accessibly (${name})`, async () => {
      const patient = await newPatient();
      const token = patient.user!.token;
      const day = 86_400_000;
      const writes: Array<Promise<unknown>> = [];
      for (let i = 6; i >= 0; i--) {
        const at = (offset: number) => new Date(clock.now - i * day + offset).toISOString();
        writes.push(gqlOk(ts.url, LOG.mood, { input: { patientId: patient.id, score: 1 + (i % 5), recordedAt: at(-3 * 3_600_000) } }, token));
        writes.push(gqlOk(ts.url, LOG.vitals, { input: { patientId: patient.id, systolic: i === 1 ? 164 : 128 + i * 3, diastolic: i === 1 ? 112 : 80 + i, heartRate: 80, recordedAt: at(-2 * 3_600_000) } }, token));
        for (let feed = 0; feed < 3 + (i % 3); feed++) {
          const input = { patientId: patient.id, infantId: patient.infantId, method: 'BREAST', durationMinutes: 15, wetDiapers: 2, dirtyDiapers: feed % 2, recordedAt: at(-(feed + 4) * 1_800_000) };
          writes.push(gqlOk(ts.url, LOG.feeding, { input }, token));
        }
      }
      await Promise.all(writes);
      await gqlOk(ts.url, LOG.sleep, { input: { patientId: patient.id, hours: 4.5 } }, token);
      // Screenings take the server's time: move it a minute between them.
      for (const item10 of [0, 1]) {
        await submitEpds(ts, patient, item10);
        clock.now += MINUTE;
      }

      const app = await openDashboard(gp, viewport);
      const card = cardOf(app.page, patient);
      await card.locator('[data-kind="SCREENING"]').waitFor();
      expect(await card.locator('dt').allTextContents()).toEqual(['Mood', 'Feeding', 'Sleep', 'Vitals', 'Screening']);
      const item = alertOf(app.page, patient).filter({ hasText: 'EPDS self-harm item' });
      await item.waitFor();
      // Her readings raised more alerts (severe and raised blood pressure, few diapers): critical ones come first.
      await alertOf(app.page, patient).filter({ hasText: 'Severe postpartum blood pressure' }).waitFor();
      const severities = await app.page.getByTestId('alert-item').evaluateAll((items) => items.map((el) => el.getAttribute('data-severity')));
      expect(severities).toContain('WARNING');
      expect(severities.indexOf('WARNING')).toBeGreaterThan(severities.lastIndexOf('CRITICAL'));
      await expectAccessible(app.page);
      await expectNoHorizontalScroll(app.page);
      await saveScreenshot(app.page, `dashboard-${name}`);

      // Resolve: a blank note is refused by the server and the refusal is shown; a note resolves it.
      await item.getByRole('button', { name: 'Resolve…' }).click();
      const note = item.getByLabel('Resolution note');
      await expect.poll(() => note.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
      await item.getByRole('button', { name: 'Resolve alert' }).click();
      await expect.poll(() => item.getByRole('alert').textContent()).toMatch(/note/i);
      await expectAccessible(app.page);
      await saveScreenshot(app.page, `dashboard-resolve-refused-${name}`);
      await note.fill('Called her; safe, plan agreed with the crisis team.');
      await item.getByRole('button', { name: 'Resolve alert' }).click();
      await expect.poll(() => item.count()).toBe(0);
      const alertId = await selfHarmAlertId(ts, patient);
      const stored = await gqlOk<{ alert: Record<string, unknown> }>(ts.url, 'query($id: ID!) { alert(id: $id) { status resolvedBy resolutionNote } }', { id: alertId }, gp.token);
      expect(stored.alert).toEqual({ status: 'RESOLVED', resolvedBy: gp.id, resolutionNote: 'Called her; safe, plan agreed with the crisis team.' });
      await expect.poll(() => app.page.getByRole('status').filter({ hasText: 'Alert resolved' }).count()).toBe(1);

      // The timeline, reached by keyboard from her card's link.
      await card.getByRole('link').focus();
      await app.page.keyboard.press('Enter');
      await app.page.getByTestId('chart-blood-pressure').waitFor();
      for (const chart of ['chart-mood', 'chart-epds', 'chart-feeding']) await app.page.getByTestId(chart).waitFor();
      const bp = app.page.getByRole('img', { name: 'Blood pressure' });
      expect(await bp.getAttribute('aria-describedby')).toBeTruthy();
      expect(await app.page.getByTestId('chart-blood-pressure').locator('.chart-summary').textContent()).toMatch(/1 in the severe range \(systolic ≥ 160 or diastolic ≥ 110\)/);
      const epdsTable = app.page.getByRole('table', { name: 'EPDS totals: the values drawn' });
      expect(await epdsTable.locator('tbody td').allTextContents()).toEqual(['0', '1']);
      expect(await app.page.getByTestId('chart-epds').textContent()).toContain('Probable depression: assess (Cox et al. 1987).');
      const feedsTable = app.page.getByRole('table', { name: 'Feeds and diapers per day: the values drawn' });
      expect(await feedsTable.locator('tbody tr').count()).toBeGreaterThanOrEqual(7);
      expect(await app.page.getByTestId('recent-update').count()).toBe(30);
      await expectAccessible(app.page);
      await expectNoHorizontalScroll(app.page);
      await saveScreenshot(app.page, `timeline-${name}`);

      // A new update arrives on the open timeline live.
      await gqlOk(ts.url, LOG.mood, { input: { patientId: patient.id, score: 5, note: 'A good day' } }, token);
      await expect.poll(() => app.page.getByTestId('recent-update').first().textContent()).toMatch(/Mood 5 of 5: “A good day”/);
      expectCleanPage(app);
    });
  }
});
