import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** The public listener's `/metrics` (the same host and port as `/graphql`). */
const publicMetrics = (ts: TestServer) => ts.url.replace(/\/graphql$/, '/metrics');

const TOKEN = `metrics-${'t'.repeat(32)}`;

describe('metrics listener', () => {
  let plain: TestServer;
  let guarded: TestServer;

  beforeAll(async () => {
    [plain, guarded] = await Promise.all([startTestServer(), startTestServer({ env: { CRADLE_METRICS_TOKEN: TOKEN } })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), guarded?.close()]);
  });

  it('answers 404 for /metrics on the public listener, and serves them on the internal one', async () => {
    const open = await fetch(publicMetrics(plain));
    expect(open.status).toBe(404);
    expect(await open.text()).not.toContain('cradle_');
    const internal = await fetch(plain.metricsUrl!);
    expect(internal.status).toBe(200);
    expect(internal.headers.get('content-type')).toContain('text/plain');
    expect(await internal.text()).toMatch(/^cradle_ws_connections 0$/m);
  });

  it('listens on loopback by default, on a port of its own, and serves nothing but /metrics', async () => {
    const internal = new URL(plain.metricsUrl!);
    expect(internal.hostname).toBe('127.0.0.1');
    expect(internal.port).not.toBe(new URL(plain.url).port);
    expect((await fetch(new URL('/graphql', internal))).status).toBe(404);
    expect((await fetch(new URL('/metrics', internal), { method: 'POST' })).status).toBe(404);
  });

  it('with a token configured, refuses a scrape without it or with another with 401, and serves one with it', async () => {
    const none = await fetch(guarded.metricsUrl!);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await none.text()).not.toContain('cradle_');
    const wrong = await fetch(guarded.metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(guarded.metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toMatch(/^cradle_ws_connections 0$/m);
  });

  it('answers 404 on the public listener even to a scrape with the token', async () => {
    const res = await fetch(publicMetrics(guarded), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('cradle_');
  });
});

describe('metrics turned off', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_METRICS_PORT: 'off' } });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('serves no metrics anywhere, and the public listener still answers', async () => {
    expect(ts.metricsUrl).toBeNull();
    expect((await fetch(publicMetrics(ts))).status).toBe(404);
    expect((await fetch(ts.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
  });
});
