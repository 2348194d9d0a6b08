import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { expectAccessible, expectCleanPage, haveChromium, launchBrowser, openApp, saveScreenshot, signInThroughApp, VIEWPORTS, type AppPage } from '../helpers/browser.js';
import { logFeeding, logMood, type Logged } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A TCP proxy in front of the server that the test can cut (every open connection reset, new ones
 * refused by an immediate close) and restore. The browser talks to the server only through it, so
 * cutting it drops the app's WebSocket the way a lost network does.
 */
interface CuttableProxy {
  readonly origin: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startProxy(target: URL): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let up = true;
  const server: Server = createServer((client) => {
    if (!up) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    cut: () => {
      up = false;
      for (const socket of open) socket.resetAndDestroy();
    },
    restore: () => {
      up = true;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Browser flows on a loaded 2-core CI machine: more than the default 30 s each. */
const FLOW_TIMEOUT_MS = 120_000;

describe.skipIf(!haveChromium)("the dashboard's live feed across a network drop (headless Chromium)", { timeout: FLOW_TIMEOUT_MS }, () => {
  let browser: Browser;
  let ts: TestServer;
  let proxy: CuttableProxy;
  let midwife: TestUser;
  let patient: TestPatient;
  const apps: AppPage[] = [];

  beforeAll(async () => {
    ts = await startTestServer();
    proxy = await startProxy(new URL(ts.url));
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE', 'Maya Midwife');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.context.close()));
    await browser?.close();
    await proxy?.close();
    await ts?.close();
  });

  /** Signs the midwife in through `origin` and waits for her dashboard's two live subscriptions. */
  async function openDashboard(origin: string, viewport: { width: number; height: number }): Promise<AppPage> {
    const app = await openApp(browser, origin, { viewport });
    apps.push(app);
    const before = ts.server.services.feed.openedCount;
    await signInThroughApp(app.page, midwife.email, TEST_PASSWORD);
    await app.page.getByRole('heading', { name: 'Live updates' }).waitFor();
    await expect.poll(() => ts.server.services.feed.openedCount).toBeGreaterThanOrEqual(before + 2);
    await expect.poll(() => app.page.getByTestId('connection-state').textContent()).toBe('Live');
    return app;
  }

  /**
   * Logs an update and sees it live, drops the network (`drop`), logs three more while the badge
   * says "Reconnecting…", restores it and checks the feed: every update once, newest first.
   */
  async function survivesDrop(app: AppPage, name: string, drop: () => Promise<void>, restore: () => Promise<void>, detectMs: number): Promise<void> {
    const { page } = app;
    const badge = page.getByTestId('connection-state');
    const item = (logged: Logged) => page.locator(`[data-testid="feed-item"][data-update-id="${logged.id}"]`);
    const feedIds = () => page.getByTestId('feed-item').evaluateAll((items) => items.map((el) => el.getAttribute('data-update-id')));
    const shownBefore = (await feedIds()).length;

    const first = await logMood(ts.url, patient, 4);
    await item(first).waitFor();

    await drop();
    await expect.poll(() => badge.textContent(), { timeout: detectMs }).toBe('Reconnecting…');
    expect(await page.getByTestId('feed-state').textContent()).toMatch(/reconnecting/);
    await saveScreenshot(page, `dashboard-reconnecting-${name}`);
    const offline = [await logMood(ts.url, patient, 2), await logFeeding(ts.url, patient), await logMood(ts.url, patient, 1)];
    expect(await page.getByTestId('feed-item').count()).toBe(shownBefore + 1);

    await restore();
    await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toBe('Live');
    for (const logged of offline) await item(logged).waitFor({ timeout: 10_000 });
    const after = await logMood(ts.url, patient, 5);
    await item(after).waitFor();

    // Newest first, each exactly once: nothing missed in the drop, nothing doubled by the replay.
    const expected = [after, ...[...offline].reverse(), first].map((l) => l.id);
    expect((await feedIds()).slice(0, expected.length)).toEqual(expected);
    expect((await feedIds()).length).toBe(shownBefore + expected.length);
    // Her card shows the newest mood, from the live feed.
    expect(await page.locator(`[data-testid="patient-card"][data-patient-id="${patient.id}"] [data-kind="MOOD"] dd`).textContent()).toMatch(/^Mood 5 of 5/);
  }

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`shows every update logged while the connection was cut exactly once after reconnecting, and says so meanwhile (${name})`, async () => {
      const app = await openDashboard(proxy.origin, viewport);
      await survivesDrop(app, name, async () => proxy.cut(), async () => proxy.restore(), 5000);
      await expectAccessible(app.page);
      await saveScreenshot(app.page, `dashboard-live-feed-${name}`);
      expectCleanPage(app);
    });
  }

  it('notices a socket gone silent (Chromium offline leaves it open), reconnects and resumes', async () => {
    // Offline mode stops traffic without closing the socket: only the unanswered ping reveals it.
    const app = await openDashboard(new URL(ts.url).origin, VIEWPORTS.desktop);
    await survivesDrop(app, 'offline', () => app.context.setOffline(true), () => app.context.setOffline(false), 15_000);
    expectCleanPage(app);
  });
});
