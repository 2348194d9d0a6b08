import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchBrowser, watchPage } from '../helpers/browser.js';
import { TestTenant } from '../helpers/builders.js';
import { logMood } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** A web server for one origin, serving an empty page (the origin a browser script runs in). */
async function startPageServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>client</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The CodeMirror 5 instance GraphiQL keeps on each editor's element. */
interface CodeMirrorElement {
  readonly CodeMirror: { setValue(text: string): void; getValue(): string };
}

/**
 * Replaces the text of a GraphiQL editor through its CodeMirror, as typing would (GraphiQL sees
 * the change event), and waits until the editor holds exactly that text.
 */
async function fillEditor(editor: ReturnType<Page['locator']>, text: string): Promise<void> {
  await editor.evaluate((element, value) => (element as unknown as CodeMirrorElement).CodeMirror.setValue(value), text);
  await expect.poll(() => editor.evaluate((element) => (element as unknown as CodeMirrorElement).CodeMirror.getValue())).toBe(text);
}

describe.skipIf(!haveChromium)('in a real browser (headless Chromium)', () => {
  let browser: Browser;
  let allowedPage: Awaited<ReturnType<typeof startPageServer>>;
  let otherPage: Awaited<ReturnType<typeof startPageServer>>;
  let ts: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    [allowedPage, otherPage] = await Promise.all([startPageServer(), startPageServer()]);
    ts = await startTestServer({ env: { CRADLE_ALLOWED_ORIGINS: allowedPage.origin } });
    tenant = await TestTenant.create(ts);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
    await Promise.all([allowedPage?.close(), otherPage?.close()]);
  });

  /** Runs `{ me { role } }` with the admin's token from a page on `origin`: the data, or the fetch's error. */
  async function callFrom(origin: string): Promise<unknown> {
    const { page } = await watchPage(await browser.newPage());
    try {
      await page.goto(origin);
      return await page.evaluate(
        async ({ url, token }) => {
          try {
            const res = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ query: '{ me { role } }' }),
            });
            return { status: res.status, body: await res.json() };
          } catch (err) {
            return { failed: String(err) };
          }
        },
        { url: ts.url, token: tenant.admin.token },
      );
    } finally {
      await page.close();
    }
  }

  it('lets a page on an allowed origin call the API across origins (preflight and all)', async () => {
    expect(await callFrom(allowedPage.origin)).toEqual({ status: 200, body: { data: { me: { role: 'ADMIN' } } } });
  });

  it('keeps a page on another origin from calling the API', async () => {
    expect(await callFrom(otherPage.origin)).toEqual({ failed: 'TypeError: Failed to fetch' });
  });

  it('runs { __typename } from the explorer with every other host unreachable, breaking no CSP rule', async () => {
    const { page, elsewhere, cspViolations } = await watchPage(await browser.newPage());
    const loaded: string[] = [];
    page.on('request', (request) => loaded.push(new URL(request.url()).host));
    try {
      await page.goto(ts.url);
      const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
      await editor.waitFor({ timeout: 30_000 });
      await fillEditor(editor, '{ __typename }');
      await page.locator('.graphiql-execute-button').click();
      await expect.poll(() => page.locator('.graphiql-response').innerText(), { timeout: 30_000 }).toContain('"__typename": "Query"');
      expect(elsewhere).toEqual([]);
      expect(cspViolations).toEqual([]);
      expect(new Set(loaded)).toEqual(new Set([new URL(ts.url).host]));
      if (process.env['CRADLE_EXPLORER_SCREENSHOT']) await page.screenshot({ path: process.env['CRADLE_EXPLORER_SCREENSHOT'] });
    } finally {
      await page.close();
    }
  });

  it('delivers a live update to a subscription run in the explorer, over a WebSocket authenticated from its Headers', async () => {
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const midwife = await tenant.user('MIDWIFE');
    const patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    const { page, elsewhere, cspViolations } = await watchPage(await browser.newPage());
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    try {
      await page.goto(ts.url);
      const queryEditor = page.locator('.graphiql-query-editor .CodeMirror').first();
      await queryEditor.waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Headers' }).click();
      const headersEditor = page.locator('.graphiql-editor-tool .CodeMirror').filter({ visible: true });
      await fillEditor(headersEditor, JSON.stringify({ Authorization: `Bearer ${midwife.token}` }));
      const subscription = 'subscription { patientUpdates { update { kind patient { id } } } }';
      await fillEditor(queryEditor, subscription);
      // GraphiQL parses the query 100 ms after an edit (it then stores it); before that it would not
      // know the operation is a subscription and would send it over HTTP.
      await expect.poll(() => page.evaluate(() => localStorage.getItem('graphiql:query'))).toBe(subscription);
      const live = ts.server.services.feed.subscriptionCount;
      await page.locator('.graphiql-execute-button').click();
      await expect.poll(() => ts.server.services.feed.subscriptionCount, { timeout: 30_000 }).toBe(live + 1);
      await logMood(ts.url, patient, 2);
      await expect.poll(() => page.locator('.graphiql-response').innerText(), { timeout: 30_000 }).toContain('"kind": "MOOD"');
      expect(await page.locator('.graphiql-response').innerText()).toContain(patient.id);
      expect(sockets).toEqual([ts.wsUrl]);
      expect(elsewhere).toEqual([]);
      expect(cspViolations).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
