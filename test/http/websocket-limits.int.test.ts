import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant } from '../helpers/builders.js';
import { collect, wsClient } from '../helpers/graphql-client.js';
import { RawWebSocket } from '../helpers/raw-ws.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** CRADLE_MAX_BODY_BYTES for these tests: the largest WebSocket message (and HTTP body) accepted, in bytes. */
const LIMIT = 2048;

/** The close code `ws` sends for a message over `maxPayload` (RFC 6455 "message too big"). */
const MESSAGE_TOO_BIG = 1009;

/** A graphql-ws `subscribe` message running `{ me { id } }`, padded with a GraphQL comment to exactly `bytes` bytes. */
function meMessageOf(id: string, bytes: number): string {
  const bare = JSON.stringify({ id, type: 'subscribe', payload: { query: '{ me { id } }\n#' } });
  const message = JSON.stringify({ id, type: 'subscribe', payload: { query: `{ me { id } }\n#${'x'.repeat(bytes - Buffer.byteLength(bare))}` } });
  if (Buffer.byteLength(message) !== bytes) throw new Error(`padding went wrong: ${Buffer.byteLength(message)} bytes, not ${bytes}`);
  return message;
}

/** Runs `{ me { id } }` on a graphql-ws client and resolves with the id it answered. */
async function meOver(client: Client): Promise<string> {
  const [result] = await collect<{ me: { id: string } }>(client, '{ me { id } }').waitFor(1);
  return result!.me.id;
}

describe('WebSocket message size limit', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  const sockets: RawWebSocket[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_MAX_BODY_BYTES: String(LIMIT) } });
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  /** Opens a bare graphql-ws connection as the tenant's admin and resolves once it is acknowledged. */
  async function acknowledgedSocket(): Promise<RawWebSocket> {
    const socket = await RawWebSocket.open(ts.wsUrl, 'graphql-transport-ws');
    sockets.push(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tenant.admin.token}` } }));
    await socket.message((text) => (JSON.parse(text) as { type: string }).type === 'connection_ack');
    return socket;
  }

  it('runs an operation sent in a message of exactly the limit', async () => {
    const socket = await acknowledgedSocket();
    socket.send(meMessageOf('at-limit', LIMIT));
    const next = JSON.parse(await socket.message((text) => (JSON.parse(text) as { type: string }).type === 'next')) as unknown;
    expect(next).toEqual({ id: 'at-limit', type: 'next', payload: { data: { me: { id: tenant.admin.id } } } });
  });

  it('closes with 1009 a connection that sends a message one byte over the limit, without running it', async () => {
    const socket = await acknowledgedSocket();
    socket.send(meMessageOf('over-limit', LIMIT + 1));
    expect(await socket.closed(5000)).toBe(MESSAGE_TOO_BIG);
    expect(socket.messages.map((text) => (JSON.parse(text) as { type: string }).type)).toEqual(['connection_ack']);
  });

  it('keeps serving its other connections, and new ones, after closing an oversized one', async () => {
    const bystander = wsClient(ts.wsUrl, tenant.admin.token);
    clients.push(bystander);
    expect(await meOver(bystander)).toBe(tenant.admin.id);
    const offender = await acknowledgedSocket();
    offender.send(meMessageOf('over-limit', LIMIT * 4));
    expect(await offender.closed(5000)).toBe(MESSAGE_TOO_BIG);
    expect(await meOver(bystander)).toBe(tenant.admin.id);
    const newcomer = wsClient(ts.wsUrl, tenant.admin.token);
    clients.push(newcomer);
    expect(await meOver(newcomer)).toBe(tenant.admin.id);
  });
});
