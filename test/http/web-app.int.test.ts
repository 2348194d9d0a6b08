import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebApp } from '../../src/http/web-app.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** `npm test` builds the app first (`npm run build:app`); this file checks how the server serves it. */
describe('the web app at /app', () => {
  let ts: TestServer;
  let origin: string;
  let assetPath: string;

  beforeAll(async () => {
    ts = await startTestServer();
    origin = new URL(ts.url).origin;
    const page = await (await fetch(`${origin}/app/`)).text();
    assetPath = /src="(\/app\/assets\/[^"]+\.js)"/.exec(page)?.[1] ?? '';
  });
  afterAll(() => ts?.close());

  it('redirects /app to /app/ permanently', async () => {
    const res = await fetch(`${origin}/app`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('/app/');
  });

  it('serves the page under a same-origin Content-Security-Policy, revalidated by ETag', async () => {
    const res = await fetch(`${origin}/app/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(origin).host}`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(assetPath).toMatch(/^\/app\/assets\/.+\.js$/);
    const again = await fetch(`${origin}/app/`, { headers: { 'if-none-match': res.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });

  it('answers every app route with the page (the app routes itself)', async () => {
    const [root, deep] = await Promise.all([fetch(`${origin}/app/`), fetch(`${origin}/app/patients/5f1c2c1e-0000-4000-8000-000000000000`)]);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(await root.text());
  });

  it('serves hashed assets as immutable and refuses unknown ones with 404', async () => {
    const asset = await fetch(`${origin}${assetPath}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${origin}/app/assets/missing-0000.js`);
    expect(missing.status).toBe(404);
    const missingFile = await fetch(`${origin}/app/favicon.ico`);
    expect(missingFile.status).toBe(404);
  });

  it('never serves a file outside the built app', async () => {
    for (const path of ['/app/..%2f..%2fpackage.json', '/app/%2e%2e/%2e%2e/package.json', '/app/assets/..%5c..%5cpackage.json']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('"name": "cradle"');
    }
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const res = await fetch(`${origin}/app/`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${origin}/app/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});

describe('a server whose app was not built', () => {
  let dir: string;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cradle-no-app-'));
    const app = await WebApp.load(dir);
    expect(app.built).toBe(false);
    server = createServer((req, res) => app.serve(req, res, new URL(req.url ?? '/', 'http://x').pathname));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 404 saying how to build it', async () => {
    const res = await fetch(`${origin}/app/`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('npm run build');
  });
});
