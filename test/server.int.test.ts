import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestTenant } from './helpers/builders.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('server lifecycle', () => {
  let ts: TestServer;
  let base: string;

  beforeAll(async () => {
    ts = await startTestServer();
    base = ts.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('answers /healthz while the process is up', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with the database and the bus reachable', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: true, bus: true, shuttingDown: false });
  });

  it('answers an unknown path with 404', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('tags every GraphQL response with a request id', async () => {
    const res = await fetch(ts.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('rejects a WebSocket whose connection_init carries no valid token (4401)', async () => {
    const socket = new WebSocket(ts.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not-a-token' } }));
    const code = await new Promise<number>((r) => socket.once('close', (c) => r(c)));
    expect(code).toBe(4401);
  });
});

describe('graceful shutdown', () => {
  it('closes live WebSockets with 1012, finishes, and stops listening', async () => {
    const ts = await startTestServer();
    const tenant = await TestTenant.create(ts);
    const socket = new WebSocket(ts.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tenant.admin.token}` } }));
    await new Promise((r) => socket.once('message', r));
    const closed = new Promise<number>((r) => socket.once('close', (c) => r(c)));
    await ts.close();
    expect(await closed).toBe(1012);
    await expect(fetch(`${ts.url.replace(/\/graphql$/, '')}/healthz`)).rejects.toThrow();
  });
});
