import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moodProtocolInput } from '../auth/matrix-fixtures.js';
import { TEST_PASSWORD, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { expectAccessible, expectCleanPage, haveChromium, launchBrowser, openApp, saveScreenshot, signInThroughApp, VIEWPORTS } from '../helpers/browser.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const origin = (ts: TestServer) => new URL(ts.url).origin;
/** Time for one whole flow through the browser (dozens of round trips; the CI machine is shared), in milliseconds. */
const FLOW_MS = 120_000;
/** Polls until the page shows what the server answered (a loaded machine may take seconds per round trip). */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });
const BROKEN = 'mood.score <= 2 &&\n  mood.nope > 1';
const FIXED = 'mood.score <= 2 &&\n  mood.score >= 1';

/** Fails when the page scrolls sideways at its viewport width. */
async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })');
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

describe.skipIf(!haveChromium)("the coordinator's protocol console (headless Chromium)", () => {
  let browser: Browser;
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let patient: TestPatient;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR', 'Cora Coordinator');
    patient = await tenant.patient(coordinator, { withLogin: true });
    await gqlOk(ts.url, 'mutation($i: LogMoodInput!) { logMood(input: $i) { id } }', { i: { patientId: patient.id, score: 1 } }, patient.user!.token);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  const protocolOnServer = async (id: string) =>
    (
      await gqlOk<{ protocol: { enabled: boolean; activeVersion: { number: number }; versions: Array<{ number: number; status: string; condition: string }> } }>(
        ts.url,
        'query($id: ID!) { protocol(id: $id) { enabled activeVersion { number } versions { number status condition } } }',
        { id },
        coordinator.token,
      )
    ).protocol;

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`shows a broken condition's error at its line and column, saves the fix as a version, dry-runs it and activates it (${name})`, async () => {
      const protocolName = `Low mood check ${name}`;
      const created = await gqlOk<{ createProtocol: { id: string } }>(
        ts.url,
        'mutation($i: ProtocolInput!) { createProtocol(input: $i) { id } }',
        { i: moodProtocolInput(protocolName, 'mood.score <= 2') },
        coordinator.token,
      );
      const id = created.createProtocol.id;
      const app = await openApp(browser, origin(ts), { viewport });
      const { page } = app;
      await signInThroughApp(page, coordinator.email, TEST_PASSWORD);
      await page.getByRole('heading', { name: 'Care protocols' }).waitFor();
      const summary = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: protocolName }) });
      await eventually(() => summary.textContent()).toMatch(/Custom · version 1 active.*Versions: 1 \(active\)/);
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `protocols-${name}`);

      await page.getByRole('link', { name: protocolName }).click();
      await page.getByRole('heading', { name: protocolName, level: 1 }).waitFor();
      const editor = page.getByLabel('Trigger condition (CEL)');
      expect(await editor.inputValue()).toBe('mood.score <= 2');
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `protocol-${name}`);

      // The server's own refusal of the broken condition, asked directly (a refusal stores nothing).
      const refused = await gql(ts.url, 'mutation($id: ID!, $i: UpdateProtocolInput!) { updateProtocol(id: $id, input: $i) { id } }', { id, i: { condition: BROKEN, changeNote: 'probe' } }, coordinator.token);
      const ext = refused.errors![0]!.extensions as { code: string; field: string; line: number; column: number };
      expect(ext).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.condition', line: 2, column: 3 });
      const message = refused.errors![0]!.message.replace(` (line ${ext.line}, column ${ext.column})`, '');

      const conditionForm = page.getByRole('form', { name: 'Condition' });
      await editor.fill(BROKEN);
      await conditionForm.getByLabel('Why this change').fill('Only real scores');
      await conditionForm.getByLabel('Make the new version active at once').uncheck();
      await conditionForm.getByRole('button', { name: 'Save new version' }).click();
      const celError = page.getByTestId('cel-error');
      await celError.waitFor();
      expect(await celError.locator('.field-error').textContent()).toBe(`line 2, column 3: ${message}`);
      expect(await celError.locator('.cel-line').textContent()).toBe('  mood.nope > 1');
      expect(await celError.locator('.cel-caret').textContent()).toBe('  ^');
      expect(await editor.getAttribute('aria-invalid')).toBe('true');
      expect((await editor.getAttribute('aria-describedby'))?.split(' ')).toContain(await celError.getAttribute('id'));
      // The cursor is put at the error (line 2, column 3 is offset 21 of the text).
      await eventually(() => page.evaluate<[string, number]>('[document.activeElement.id, document.activeElement.selectionStart]'))
        .toEqual([await editor.getAttribute('id'), BROKEN.indexOf('mood.nope')]);
      expect((await protocolOnServer(id)).versions).toHaveLength(1);
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `protocol-cel-error-${name}`);

      await editor.fill(FIXED);
      await conditionForm.getByRole('button', { name: 'Save new version' }).click();
      await eventually(() => conditionForm.getByRole('status').textContent()).toBe('Saved as version 2 (draft).');
      expect(await celError.count()).toBe(0);
      const saved = await protocolOnServer(id);
      expect(saved.versions.map((v) => [v.number, v.status, v.condition])).toEqual([
        [2, 'DRAFT', FIXED],
        [1, 'ACTIVE', 'mood.score <= 2'],
      ]);

      const dryRun = page.getByRole('form', { name: 'Dry run' });
      await dryRun.getByLabel('Patient').selectOption(patient.id);
      await dryRun.getByRole('button', { name: 'Dry run' }).click();
      const trace = page.getByTestId('trace');
      await trace.waitFor();
      const expected = await gqlOk<{ simulateProtocol: { outcome: string; trace: Array<{ expression: string; value: string }> } }>(
        ts.url,
        'query($p: ID!, $i: ProtocolInput!) { simulateProtocol(patientId: $p, input: $i) { outcome trace { expression value } } }',
        { p: patient.id, i: moodProtocolInput(protocolName, FIXED) },
        coordinator.token,
      );
      expect(expected.simulateProtocol.outcome).toBe('MATCHED');
      expect(expected.simulateProtocol.trace.length).toBeGreaterThanOrEqual(2);
      const steps = await trace.getByRole('listitem').evaluateAll((items) =>
        items.map((li) => ({ expression: li.querySelector('.trace-expression')!.textContent, value: li.querySelector('.trace-value')!.textContent })),
      );
      expect(steps).toEqual(expected.simulateProtocol.trace);
      expect(await page.getByTestId('simulation-outcome').textContent()).toBe('MATCHED');
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `protocol-dry-run-${name}`);

      const versions = page.getByRole('form', { name: 'Versions' });
      await versions.getByRole('button', { name: 'Activate version 2' }).click();
      await eventually(() => versions.getByRole('status').textContent()).toBe('Version 2 is now active.');
      await eventually(() => page.getByTestId('active-version').textContent()).toBe('Version 2');
      expect(await versions.getByRole('button', { name: 'Activate version 1' }).count()).toBe(1);
      const activated = await protocolOnServer(id);
      expect(activated.activeVersion.number).toBe(2);
      expect(activated.versions.map((v) => v.status)).toEqual(['ACTIVE', 'RETIRED']);

      const state = page.getByRole('form', { name: 'State' });
      await state.getByRole('button', { name: 'Disable protocol' }).click();
      await eventually(() => page.getByTestId('protocol-state').textContent()).toBe('Disabled');
      expect((await protocolOnServer(id)).enabled).toBe(false);
      await state.getByRole('button', { name: 'Enable protocol' }).click();
      await eventually(() => page.getByTestId('protocol-state').textContent()).toBe('Enabled');
      expect((await protocolOnServer(id)).enabled).toBe(true);
      await expectAccessible(page);
      await expectNoHorizontalScroll(page);
      await saveScreenshot(page, `protocol-activated-${name}`);
      expectCleanPage(app);
      await app.context.close();
    }, FLOW_MS);
  }

  it("refuses to disable a built-in protocol with the server's message (a custom one disables, above), and dry-runs every built-in", async () => {
    const { protocols } = await gqlOk<{ protocols: Array<{ id: string; name: string; builtIn: boolean }> }>(ts.url, '{ protocols { id name builtIn } }', {}, coordinator.token);
    const builtIn = protocols.find((p) => p.builtIn)!;
    const refused = await gql(ts.url, 'mutation($id: ID!) { setProtocolEnabled(id: $id, enabled: false) { id } }', { id: builtIn.id }, coordinator.token);
    expect(errorOf(refused).code).toBe('BAD_USER_INPUT');
    const app = await openApp(browser, origin(ts), { path: `/protocols/${builtIn.id}` });
    await signInThroughApp(app.page, coordinator.email, TEST_PASSWORD);
    await app.page.getByRole('heading', { name: builtIn.name, level: 1 }).waitFor();
    const state = app.page.getByRole('form', { name: 'State' });
    await state.getByRole('button', { name: 'Disable protocol' }).click();
    await eventually(() => state.getByRole('alert').textContent()).toBe(refused.errors![0]!.message);
    expect(await app.page.getByTestId('protocol-state').textContent()).toBe('Enabled');

    // Every built-in's stored definition goes back to the server as a draft the dry run accepts.
    const outcomes: string[] = [];
    for (const protocol of protocols.filter((p) => p.builtIn)) {
      await app.page.goto(`${origin(ts)}/app/protocols/${protocol.id}`);
      await app.page.getByRole('heading', { name: protocol.name, level: 1 }).waitFor();
      const dryRun = app.page.getByRole('form', { name: 'Dry run' });
      await dryRun.getByLabel('Patient').selectOption(patient.id);
      await dryRun.getByRole('button', { name: 'Dry run' }).click();
      const answer = dryRun.getByTestId('simulation-outcome').or(dryRun.getByRole('alert'));
      await answer.waitFor();
      outcomes.push(`${protocol.name}: ${await answer.textContent()}`);
    }
    expect(outcomes.length).toBeGreaterThan(5);
    for (const outcome of outcomes) expect(outcome).toMatch(/: (MATCHED|NOT_MATCHED|INCOMPLETE|NOT_APPLICABLE)$/);
    expectCleanPage(app);
    await app.context.close();
  }, FLOW_MS);

  it("sets and removes the quiet hours, showing the server's refusal of an unknown time zone at its field", async () => {
    const app = await openApp(browser, origin(ts), { viewport: VIEWPORTS.phone });
    const { page } = app;
    await signInThroughApp(page, coordinator.email, TEST_PASSWORD);
    const form = page.getByRole('form', { name: 'Quiet hours' });
    await eventually(() => page.getByTestId('quiet-hours-current').textContent()).toBe('None: every page goes out at once.');
    await form.getByLabel('From').fill('22:30');
    await form.getByLabel('Until').fill('06:45');
    const zone = form.getByLabel('Time zone');
    await zone.fill('Mars/Olympus_Mons');
    await form.getByRole('button', { name: 'Save quiet hours' }).click();
    const refused = await gql(ts.url, 'mutation($i: QuietHoursInput) { setQuietHours(input: $i) { start } }', { i: { start: '22:30', end: '06:45', timeZone: 'Mars/Olympus_Mons' } }, coordinator.token);
    expect(errorOf(refused)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.timeZone' });
    await eventually(() => form.locator('.field-error').textContent()).toBe(refused.errors![0]!.message);
    expect(await zone.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page);
    await saveScreenshot(page, 'protocols-quiet-hours-error-phone');

    await zone.fill('Europe/London');
    await form.getByRole('button', { name: 'Save quiet hours' }).click();
    await eventually(() => form.getByRole('status').textContent()).toBe('Quiet hours saved: 22:30 to 06:45 (Europe/London).');
    const { quietHours } = await gqlOk<{ quietHours: unknown }>(ts.url, '{ quietHours { start end timeZone } }', {}, coordinator.token);
    expect(quietHours).toEqual({ start: '22:30', end: '06:45', timeZone: 'Europe/London' });
    await expectNoHorizontalScroll(page);

    await form.getByRole('button', { name: 'Remove quiet hours' }).click();
    await eventually(() => form.getByRole('status').textContent()).toBe('Quiet hours removed.');
    expect((await gqlOk<{ quietHours: unknown }>(ts.url, '{ quietHours { start } }', {}, coordinator.token)).quietHours).toBeNull();
    expectCleanPage(app);
    await app.context.close();
  }, FLOW_MS);
});
