import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInstrument, type Instrument } from '../helpers/instruments.js';
import { TEST_PASSWORD, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { expectAccessible, expectCleanPage, haveChromium, launchBrowser, openApp, saveScreenshot, signInThroughApp, VIEWPORTS } from '../helpers/browser.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface Update {
  kind: string;
  data: Record<string, unknown>;
}

const origin = (ts: TestServer) => new URL(ts.url).origin;
/** Time for one whole flow through the browser (dozens of round trips; the CI machine is shared), in milliseconds. */
const FLOW_MS = 120_000;
/** Polls until the page shows what the server answered (a loaded machine may take seconds per round trip). */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

/** Fails when the page scrolls sideways at its viewport width (the phone must not need it). */
async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })');
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

describe.skipIf(!haveChromium)('the patient check-in (headless Chromium)', () => {
  let browser: Browser;
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let epds: Instrument;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    epds = await loadInstrument(ts.url, coordinator.token, 'EPDS');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  /** What the coordinator on her team reads of a patient's updates of `kinds`, newest first. */
  const updatesOf = async (patient: TestPatient, kinds: string[]): Promise<Update[]> =>
    (
      await gqlOk<{ statusUpdates: { edges: Array<{ node: Update }> } }>(
        ts.url,
        'query($p: ID!, $k: [StatusKind!]) { statusUpdates(patientId: $p, kinds: $k) { edges { node { kind data } } } }',
        { p: patient.id, k: kinds },
        coordinator.token,
      )
    ).statusUpdates.edges.map((edge) => edge.node);

  const signedInPatient = async (viewport: { width: number; height: number }) => {
    const patient = await tenant.patient(coordinator, { withLogin: true, infant: { givenName: 'Robin', birthWeightGrams: 3300 } });
    const app = await openApp(browser, origin(ts), { viewport });
    await signInThroughApp(app.page, patient.user!.email, TEST_PASSWORD);
    await app.page.getByRole('heading', { name: 'Check in, Testa' }).waitFor();
    return { patient, app };
  };

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`logs mood, a feed and blood pressure, each confirmed, and the server has them (${name})`, async () => {
      const { patient, app } = await signedInPatient(viewport);
      const { page } = app;
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `check-in-${name}`);

      const mood = page.getByRole('form', { name: 'Mood' });
      await mood.getByRole('group', { name: 'How are you feeling right now?' }).getByRole('radio', { name: '2 Low' }).check();
      await mood.getByRole('button', { name: 'Save mood' }).click();
      await eventually(() => mood.getByRole('status').textContent()).toMatch(/^Saved at .+: mood 2 of 5\.$/);

      const feed = page.getByRole('form', { name: 'Feed' });
      await feed.getByText('For Robin').waitFor();
      await feed.getByRole('group', { name: 'How was the baby fed?' }).getByRole('radio', { name: 'Breast', exact: true }).check();
      await feed.getByLabel('Minutes feeding').fill('18');
      await feed.getByLabel('Wet diapers').fill('3');
      await feed.getByLabel('Dirty diapers').fill('1');
      await feed.getByRole('button', { name: 'Save feed' }).click();
      await eventually(() => feed.getByRole('status').textContent()).toMatch(/^Saved at .+: a feed for Robin\.$/);

      const pressure = page.getByRole('form', { name: 'Blood pressure' });
      await pressure.getByLabel('Systolic (top number)').fill('128');
      await pressure.getByLabel('Diastolic (bottom number)').fill('84');
      await pressure.getByRole('button', { name: 'Save blood pressure' }).click();
      await eventually(() => pressure.getByRole('status').textContent()).toMatch(/^Saved at .+: blood pressure 128\/84 mmHg\.$/);

      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `check-in-saved-${name}`);
      const updates = await updatesOf(patient, ['MOOD', 'FEEDING', 'VITALS']);
      expect(updates.map((u) => u.kind)).toEqual(['VITALS', 'FEEDING', 'MOOD']);
      expect(updates[0]!.data).toMatchObject({ systolic: 128, diastolic: 84 });
      expect(updates[1]!.data).toMatchObject({ method: 'BREAST', durationMinutes: 18, wetDiapers: 3, dirtyDiapers: 1 });
      expect(updates[2]!.data).toMatchObject({ score: 2 });
      expectCleanPage(app);
      await app.context.close();
    }, FLOW_MS);

    it(`shows the crisis resources the moment the EPDS self-harm item is answered positively, then the server's total (${name})`, async () => {
      const { patient, app } = await signedInPatient(viewport);
      const { page } = app;
      const form = page.getByRole('form', { name: epds.name });
      await form.waitFor();
      const group = (item: Instrument['items'][number]) => form.getByRole('group', { name: `${item.number}. ${item.text}`, exact: true });
      const selfHarm = epds.items.find((item) => item.selfHarm)!;
      expect(selfHarm.safetyMessage).toMatch(/988/);
      // Item by item, the second option (scores 1 or 2 on this form); the self-harm item comes last.
      const chosen = new Map<number, number>();
      for (const item of epds.items.filter((i) => !i.selfHarm)) {
        const option = item.options[1]!;
        await group(item).getByRole('radio', { name: option.label, exact: true }).check();
        chosen.set(item.number, option.score);
      }
      const safety = page.getByTestId('safety-message');
      expect(await safety.count()).toBe(0);
      // Positive control: the self-harm item answered with the option scoring 0 shows nothing.
      const never = selfHarm.options.find((option) => option.score === 0)!;
      await group(selfHarm).getByRole('radio', { name: never.label, exact: true }).check();
      expect(await group(selfHarm).getByRole('radio', { name: never.label, exact: true }).isChecked()).toBe(true);
      expect(await safety.count()).toBe(0);
      const sometimes = selfHarm.options.find((option) => option.score === 2)!;
      await group(selfHarm).getByRole('radio', { name: sometimes.label, exact: true }).check();
      await safety.waitFor();
      expect(await safety.textContent()).toBe(selfHarm.safetyMessage);
      // Shown before anything was sent: the server has no screening yet.
      expect(await updatesOf(patient, ['SCREENING'])).toEqual([]);
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `check-in-epds-safety-${name}`);

      await form.getByRole('button', { name: 'Send my answers' }).click();
      const score = page.getByTestId('screening-score');
      await score.waitFor();
      const [stored] = await updatesOf(patient, ['SCREENING']);
      const expectedTotal = [...chosen.values()].reduce((sum, s) => sum + s, 0) + sometimes.score;
      expect(stored!.data).toMatchObject({ instrument: 'EPDS', total: expectedTotal, selfHarmItemPositive: true });
      expect(await score.getByText(/^Score:/).textContent()).toBe(`Score: ${String(stored!.data['total'])} of 30`);
      expect(await form.getByRole('status').textContent()).toBe(`Sent. Your ${epds.name} score is ${expectedTotal} out of 30.`);
      await expectAccessible(page);
      await saveScreenshot(page, `check-in-epds-scored-${name}`);

      // The protocols then send her the crisis line; the page shows the server's message.
      await ts.server.services.alerting.runDue();
      await page.reload();
      const messages = page.getByRole('region', { name: 'Messages from your care team' });
      await messages.waitFor();
      expect(await messages.getByRole('listitem').first().locator('p').first().textContent()).toBe(selfHarm.safetyMessage);
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      expectCleanPage(app);
      await app.context.close();
    }, FLOW_MS);
  }

  it("logs sleep and the baby's weight and temperature, each confirmed, and the server has them", async () => {
    const { patient, app } = await signedInPatient(VIEWPORTS.phone);
    const { page } = app;
    const sleep = page.getByRole('form', { name: 'Sleep' });
    await sleep.getByLabel('Hours you slept').fill('5.5');
    await sleep.getByRole('button', { name: 'Save sleep' }).click();
    await eventually(() => sleep.getByRole('status').textContent()).toMatch(/: 5\.5 hours of sleep\.$/);
    const baby = page.getByRole('form', { name: "Baby's weight and temperature" });
    await baby.getByLabel('Weight (grams)').fill('3550');
    await baby.getByLabel('Temperature (°C)').fill('36.9');
    await baby.getByRole('button', { name: "Save baby's measurements" }).click();
    await eventually(() => baby.getByRole('status').textContent()).toMatch(/: Robin's measurements\.$/);
    const [slept] = await updatesOf(patient, ['SLEEP']);
    expect(slept!.data).toEqual({ hours: 5.5 });
    const [measured] = await updatesOf(patient, ['INFANT_VITALS']);
    expect(measured!.data).toEqual({ weightGrams: 3550, temperatureC: 36.9 });
    await expectNoHorizontalScroll(page);
    expectCleanPage(app);
    await app.context.close();
  }, FLOW_MS);

  it('logs a mood with the keyboard alone: arrow keys choose, Tab reaches the button, Enter saves', async () => {
    const { patient, app } = await signedInPatient(VIEWPORTS.phone);
    const { page } = app;
    const mood = page.getByRole('form', { name: 'Mood' });
    await mood.getByRole('radio', { name: '1 Very low' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await mood.getByRole('radio', { name: '3 Okay' }).isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    await eventually(() => page.evaluate<string | null>('document.activeElement.textContent')).toBe('Save mood');
    await page.keyboard.press('Enter');
    await eventually(() => mood.getByRole('status').textContent()).toMatch(/mood 3 of 5\.$/);
    expect((await updatesOf(patient, ['MOOD']))[0]!.data).toMatchObject({ score: 3 });
    expectCleanPage(app);
    await app.context.close();
  }, FLOW_MS);

  it('renders the PHQ-9 from its definition too, with its own self-harm item showing the crisis resources', async () => {
    const phq9 = await loadInstrument(ts.url, coordinator.token, 'PHQ9');
    const { app } = await signedInPatient(VIEWPORTS.desktop);
    const { page } = app;
    await page.getByRole('group', { name: 'Which questionnaire?' }).getByRole('radio', { name: phq9.name }).check();
    const form = page.getByRole('form', { name: phq9.name });
    await form.waitFor();
    expect(await form.getByRole('group').evaluateAll((groups) => groups.map((g) => g.querySelector('legend')!.textContent))).toEqual(
      phq9.items.map((item) => `${item.number}. ${item.text}`),
    );
    // Sending with nothing answered names the first question, and focus goes to its first option.
    await form.getByRole('button', { name: 'Send my answers' }).click();
    const first = form.getByRole('group', { name: `1. ${phq9.items[0]!.text}`, exact: true });
    await eventually(() => first.locator('.field-error').textContent()).toBe('Answer question 1 before sending.');
    expect(await first.getAttribute('aria-describedby')).toBe(await first.locator('.field-error').getAttribute('id'));
    await eventually(() => first.getByRole('radio').first().evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    const selfHarm = phq9.items.find((item) => item.selfHarm)!;
    expect(selfHarm.number).toBe(9);
    await form.getByRole('group', { name: `9. ${selfHarm.text}`, exact: true }).getByRole('radio', { name: selfHarm.options[1]!.label, exact: true }).check();
    await eventually(() => page.getByTestId('safety-message').textContent()).toBe(selfHarm.safetyMessage);
    await expectAccessible(page);
    await saveScreenshot(page, 'check-in-phq9-safety-desktop');
    expectCleanPage(app);
    await app.context.close();
  }, FLOW_MS);

  it("shows the server's refusal of an out-of-range value at the field, then saves once corrected", async () => {
    const { patient, app } = await signedInPatient(VIEWPORTS.phone);
    const { page } = app;
    const refused = await gql(ts.url, 'mutation($i: LogVitalsInput!) { logVitals(input: $i) { id } }', { i: { patientId: patient.id, systolic: 400, diastolic: 80 } }, patient.user!.token);
    expect(errorOf(refused)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.systolic' });
    const serverMessage = refused.errors![0]!.message;

    const pressure = page.getByRole('form', { name: 'Blood pressure' });
    const systolic = pressure.getByLabel('Systolic (top number)');
    await systolic.fill('400');
    await pressure.getByLabel('Diastolic (bottom number)').fill('80');
    await pressure.getByRole('button', { name: 'Save blood pressure' }).click();
    const error = pressure.locator('.field-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(serverMessage);
    expect(await systolic.getAttribute('aria-invalid')).toBe('true');
    expect((await systolic.getAttribute('aria-describedby'))?.split(' ')).toContain(await error.getAttribute('id'));
    await eventually(() => page.evaluate<string | null>("document.activeElement.getAttribute('aria-invalid')")).toBe('true');
    expect(await pressure.getByLabel('Diastolic (bottom number)').getAttribute('aria-invalid')).toBeNull();
    await expectAccessible(page);
    await expectNoHorizontalScroll(page);
    await saveScreenshot(page, 'check-in-field-error-phone');
    expect(await updatesOf(patient, ['VITALS'])).toEqual([]);

    await systolic.fill('140');
    await pressure.getByRole('button', { name: 'Save blood pressure' }).click();
    await eventually(() => pressure.getByRole('status').textContent()).toMatch(/blood pressure 140\/80 mmHg\.$/);
    expect(await error.count()).toBe(0);
    expect(await systolic.getAttribute('aria-invalid')).toBeNull();
    expect((await updatesOf(patient, ['VITALS']))[0]!.data).toMatchObject({ systolic: 140, diastolic: 80 });
    expectCleanPage(app);
    await app.context.close();
  }, FLOW_MS);
});
