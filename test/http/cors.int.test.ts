import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant } from '../helpers/builders.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const ALLOWED = 'https://dashboard.cradle.example';
const ALSO_ALLOWED = 'http://localhost:5173';
const HOSTILE = 'https://evil.example';
const ME = JSON.stringify({ query: '{ me { id role } }' });

/** Sends a CORS preflight for a POST with a JSON body and a bearer token, as a browser would. */
function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

/** The response's `access-control-*` headers, by name. */
function corsHeadersOf(res: Response): Record<string, string> {
  return Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-')));
}

describe('CORS on /graphql', () => {
  let ts: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ALLOWED_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` } });
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('answers a preflight from an allowed origin with 204 and that exact origin, never *', async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      const res = await preflight(ts.url, origin);
      expect({ origin, status: res.status, cors: corsHeadersOf(res) }).toEqual({
        origin,
        status: 204,
        cors: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'content-type, authorization, apollo-require-preflight, x-apollo-operation-name',
          'access-control-max-age': '600',
        },
      });
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
      expect(await res.text()).toBe('');
    }
  });

  it('refuses a preflight from an origin not listed with 403 and no CORS header', async () => {
    for (const origin of [HOSTILE, 'null', `${ALLOWED}.evil.example`, 'http://dashboard.cradle.example']) {
      const res = await preflight(ts.url, origin);
      expect({ origin, status: res.status, cors: corsHeadersOf(res) }).toEqual({ origin, status: 403, cors: {} });
    }
  });

  it('gives an allowed origin its answer with Access-Control-Allow-Origin, and a hostile one none', async () => {
    const post = (origin: string) =>
      fetch(ts.url, { method: 'POST', headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${tenant.admin.token}` }, body: ME });
    const allowed = await post(ALLOWED);
    expect(allowed.status).toBe(200);
    expect(corsHeadersOf(allowed)).toEqual({ 'access-control-allow-origin': ALLOWED, 'access-control-expose-headers': 'x-request-id, retry-after' });
    expect(allowed.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(await allowed.json()).toEqual({ data: { me: { id: tenant.admin.id, role: 'ADMIN' } } });

    const hostile = await post(HOSTILE);
    expect(corsHeadersOf(hostile)).toEqual({});
    expect(hostile.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('puts CORS headers on errors too, so a page on an allowed origin can read them', async () => {
    const res = await fetch(ts.url, { method: 'POST', headers: { origin: ALLOWED, 'content-type': 'application/json' }, body: '{not json' });
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(((await res.json()) as { errors: Array<{ extensions: unknown }> }).errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'body' });
  });

  it('keeps CSRF prevention for an allowed origin: a simple text/plain POST is still refused', async () => {
    const res = await fetch(ts.url, {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'text/plain', authorization: `Bearer ${tenant.admin.token}` },
      body: ME,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('keeps serving same-origin and Origin-less clients, without CORS headers', async () => {
    const ownOrigin = new URL(ts.url).origin;
    for (const headers of [{ origin: ownOrigin }, {}] as Array<Record<string, string>>) {
      const res = await fetch(ts.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', authorization: `Bearer ${tenant.admin.token}` }, body: ME });
      expect({ headers, status: res.status, cors: corsHeadersOf(res), body: await res.json() }).toEqual({
        headers,
        status: 200,
        cors: {},
        body: { data: { me: { id: tenant.admin.id, role: 'ADMIN' } } },
      });
    }
  });

  it('answers a plain OPTIONS (not a preflight) with 204 and Allow', async () => {
    const res = await fetch(ts.url, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('GET, POST, OPTIONS');
    expect(corsHeadersOf(res)).toEqual({});
  });

  it('allows no cross-origin caller when no origins are configured', async () => {
    const plain = await startTestServer();
    try {
      const res = await preflight(plain.url, ALLOWED);
      expect({ status: res.status, cors: corsHeadersOf(res) }).toEqual({ status: 403, cors: {} });
    } finally {
      await plain.close();
    }
  });
});
