import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** What a browser sends when a person opens the URL. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function openInBrowser(url: string): Promise<Response> {
  return fetch(url, { headers: { accept: BROWSER_ACCEPT } });
}

/** The `src`/`href` of every `<script>` and `<link>` tag, and the body of every `<script>`. */
function tagsOf(html: string): { urls: string[]; inlineScripts: string[]; inlineStyles: number } {
  const urls = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
  const inlineScripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!).filter((body) => body.trim() !== '');
  const inlineStyles = [...html.matchAll(/<style\b|\bstyle="/g)].length;
  return { urls, inlineScripts, inlineStyles };
}

describe('GraphQL explorer (development default)', () => {
  let ts: TestServer;
  let html: string;
  let page: Response;

  beforeAll(async () => {
    ts = await startTestServer();
    page = await openInBrowser(ts.url);
    html = await page.text();
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('serves the self-hosted GraphiQL page at GET /graphql to a browser, not Apollo\'s CDN Sandbox', () => {
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<div id="graphiql">');
    expect(html).not.toMatch(/apollographql|embeddable-sandbox|cdn\./i);
  });

  it('loads only files from this server: relative script and stylesheet URLs, nothing inline', () => {
    const { urls, inlineScripts, inlineStyles } = tagsOf(html);
    expect(urls).toEqual([
      'data:,',
      'explorer/graphiql.min.css',
      'explorer/explorer.css',
      'explorer/react.production.min.js',
      'explorer/react-dom.production.min.js',
      'explorer/graphql-ws.min.js',
      'explorer/graphiql.min.js',
      'explorer/explorer.js',
    ]);
    expect(inlineScripts).toEqual([]);
    expect(inlineStyles).toBe(0);
    expect(html).not.toMatch(/\/\/[a-z0-9]/i);
  });

  it('sends the page under a self-only Content-Security-Policy that forbids framing', () => {
    const host = new URL(ts.url).host;
    const policy = Object.fromEntries(
      page.headers.get('content-security-policy')!.split(';').map((directive) => {
        const [name, ...sources] = directive.trim().split(/\s+/);
        return [name, sources.join(' ')];
      }),
    );
    expect(policy).toEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'font-src': "'self' data:",
      'connect-src': `'self' ws://${host} wss://${host}`,
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'object-src': "'none'",
      'worker-src': "'none'",
    });
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves every file the page names, with its type, and the start script talks to the page\'s own URL only', async () => {
    for (const path of tagsOf(html).urls.filter((url) => url !== 'data:,')) {
      const res = await fetch(new URL(path, ts.url));
      const body = await res.text();
      expect({ path, status: res.status, type: res.headers.get('content-type'), nosniff: res.headers.get('x-content-type-options') }).toEqual({
        path,
        status: 200,
        type: path.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
        nosniff: 'nosniff',
      });
      expect(body.length).toBeGreaterThan(path.startsWith('explorer/explorer.') ? 10 : 5000);
    }
    const start = await (await fetch(new URL('explorer/explorer.js', ts.url))).text();
    expect(start).not.toMatch(/https?:\/\//);
    expect(start).toContain('window.location.pathname');
  });

  it('revalidates a file by its ETag with 304', async () => {
    const url = new URL('explorer/graphiql.min.js', ts.url);
    const etag = (await fetch(url)).headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('answers 404 for a file it does not serve', async () => {
    expect((await fetch(new URL('explorer/graphiql.min.js.map', ts.url))).status).toBe(404);
    expect((await fetch(new URL('explorer/../package.json', ts.url))).status).toBe(404);
  });

  it('still answers GraphQL requests at the same path', async () => {
    const res = await fetch(ts.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('GraphQL explorer switched off (CRADLE_EXPLORER=false)', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_EXPLORER: 'false' } });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('answers a browser at GET /graphql with a short 404, never a landing page', async () => {
    const res = await openInBrowser(ts.url);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('The GraphQL explorer is off (CRADLE_EXPLORER).\n');
  });

  it('serves none of its files', async () => {
    for (const path of ['explorer/graphiql.min.js', 'explorer/explorer.js']) expect((await fetch(new URL(path, ts.url))).status).toBe(404);
  });

  it('still answers GraphQL requests', async () => {
    const res = await fetch(ts.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
