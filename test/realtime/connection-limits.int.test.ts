import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, wsClient, type GqlResponse } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receivedIds, subscribeLive, type LiveEvent } from '../helpers/live.js';
import { RawWebSocket } from '../helpers/raw-ws.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** CRADLE_WS_MAX_SUBSCRIPTIONS and CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS for these tests. */
const MAX_SUBSCRIPTIONS = 3;
const MAX_IN_FLIGHT = 2;

type WireErrors = NonNullable<GqlResponse['errors']>;

/** Subscribes and resolves with the errors of the `error` message the server answers with. */
function refusal(client: Client, query: string): Promise<WireErrors> {
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query },
      {
        next: (value) => reject(new Error(`expected a refusal, got ${JSON.stringify(value)}`)),
        error: (err) => (Array.isArray(err) ? resolve(err as WireErrors) : reject(new Error(`socket failed: ${JSON.stringify(err)}`))),
        complete: () => reject(new Error('expected a refusal, the operation completed')),
      },
    );
  });
}

/** The parsed messages a raw socket received for operation `id`. */
function messagesOf(socket: RawWebSocket, id: string): Array<{ type: string; payload?: unknown }> {
  return socket.messages.map((text) => JSON.parse(text) as { id?: string; type: string; payload?: unknown }).filter((m) => m.id === id);
}

describe('caps per WebSocket connection', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let midwife: TestUser;
  let patient: TestPatient;
  const clients: Client[] = [];
  const sockets: RawWebSocket[] = [];

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_WS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS), CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS: String(MAX_IN_FLIGHT) } });
    tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  function client(token: string): Client {
    const c = wsClient(ts.wsUrl, token);
    clients.push(c);
    return c;
  }

  it('accepts subscriptions up to the cap, refuses one more with RATE_LIMITED, keeps the others live, and accepts a new one once one completes', async () => {
    const socket = client(midwife.token);
    const live = [];
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) live.push(await subscribeLive(ts, socket, PATIENT_UPDATES));

    const refused = await refusal(socket, PATIENT_UPDATES);
    expect(refused).toEqual([
      {
        message: `A connection may have at most ${MAX_SUBSCRIPTIONS} subscriptions open at once. Complete one first.`,
        extensions: { code: 'RATE_LIMITED', reason: 'SUBSCRIPTION_LIMIT', limit: MAX_SUBSCRIPTIONS },
      },
    ]);
    expect(ts.server.services.feed.subscriptionCount).toBe(MAX_SUBSCRIPTIONS);

    const first = await logMood(ts.url, patient, 2);
    for (const subscription of live) expect(receivedIds(await subscription.waitFor(1).then(() => subscription))).toEqual([first.id]);

    live[0]!.stop();
    const replacement = await subscribeLive(ts, socket, PATIENT_UPDATES);
    const second = await logMood(ts.url, patient, 4);
    expect(receivedIds(await replacement.waitFor(1).then(() => replacement))).toEqual([second.id]);
    for (const subscription of live.slice(1)) expect(receivedIds(await subscription.waitFor(2).then(() => subscription))).toEqual([first.id, second.id]);
    for (const subscription of [replacement, ...live.slice(1)]) subscription.stop();
  });

  it('counts per connection: another connection of the same user may still subscribe', async () => {
    const full = client(midwife.token);
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) await subscribeLive(ts, full, PATIENT_UPDATES);
    expect((await refusal(full, PATIENT_UPDATES))[0]?.extensions?.code).toBe('RATE_LIMITED');
    const other = client(midwife.token);
    const live = await subscribeLive<LiveEvent>(ts, other, PATIENT_UPDATES);
    const logged = await logMood(ts.url, patient, 3);
    expect(receivedIds(await live.waitFor(1).then(() => live))).toEqual([logged.id]);
  });

  it('runs queries up to the in-flight cap at once, refuses one more with RATE_LIMITED, and runs the next once they are done', async () => {
    const socket = await RawWebSocket.open(ts.wsUrl, 'graphql-transport-ws');
    sockets.push(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${midwife.token}` } }));
    await socket.message((text) => (JSON.parse(text) as { type: string }).type === 'connection_ack');
    const me = (id: string) => JSON.stringify({ id, type: 'subscribe', payload: { query: '{ me { id } }' } });

    const burst = Array.from({ length: MAX_IN_FLIGHT + 1 }, (_, i) => `q${i}`);
    socket.sendTogether(burst.map(me));
    for (const id of burst) await socket.message((text) => { const m = JSON.parse(text) as { id?: string; type: string }; return m.id === id && (m.type === 'complete' || m.type === 'error'); });
    for (const id of burst.slice(0, MAX_IN_FLIGHT)) {
      expect(messagesOf(socket, id)).toEqual([{ id, type: 'next', payload: { data: { me: { id: midwife.id } } } }, { id, type: 'complete' }]);
    }
    const over = burst.at(-1)!;
    expect(messagesOf(socket, over)).toEqual([
      {
        id: over,
        type: 'error',
        payload: [{ message: `A connection may run at most ${MAX_IN_FLIGHT} queries and mutations at once. Wait for one to finish.`, extensions: { code: 'RATE_LIMITED', reason: 'OPERATION_LIMIT', limit: MAX_IN_FLIGHT } }],
      },
    ]);

    socket.send(me('after'));
    await socket.message((text) => { const m = JSON.parse(text) as { id?: string; type: string }; return m.id === 'after' && m.type === 'complete'; });
    expect(messagesOf(socket, 'after')[0]).toEqual({ id: 'after', type: 'next', payload: { data: { me: { id: midwife.id } } } });
  });

  it('does not count open subscriptions against the in-flight cap', async () => {
    const socket = client(midwife.token);
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) await subscribeLive(ts, socket, PATIENT_UPDATES);
    const [result] = await collect<{ me: { id: string } }>(socket, '{ me { id } }').waitFor(1);
    expect(result).toEqual({ me: { id: midwife.id } });
  });
});
