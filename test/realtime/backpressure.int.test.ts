import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent, StatusUpdate } from '../../src/db/entities/index.js';
import { RawWebSocket } from '../helpers/raw-ws.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receivedCursors, receivedIds, subscribeLive, waitForLiveSince, type LiveEvent } from '../helpers/live.js';
import { scrapeMetrics, startTestServer, type TestServer } from '../helpers/test-server.js';

const FLOOD = 1000;
const NOTE = 'x'.repeat(2000);
/**
 * The stalled subscriber asks for each event's data 40 times over (~80 KB per event), so that 1,000
 * events (~80 MB) overflow the kernel's socket buffers on loopback (tens of MB with autotuning)
 * and the server's own queue must take the strain.
 */
const HEAVY = `subscription { patientUpdates { cursor update { id kind ${Array.from({ length: 40 }, (_, i) => `d${i}: data`).join(' ')} } } }`;

/** A graphql-transport-ws subscriber on a bare socket that can really stop reading. */
async function stallableSubscriber(wsUrl: string, token: string): Promise<RawWebSocket> {
  const socket = await RawWebSocket.open(wsUrl, 'graphql-transport-ws');
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await socket.message((m) => m.includes('"connection_ack"'));
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: HEAVY } }));
  return socket;
}

/**
 * Writes `count` mood updates with their outbox events in one transaction, the way the service
 * does one at a time (tenant cursor bump, update, event), then wakes the relay. Returns their ids in
 * cursor order.
 */
async function flood(ts: TestServer, tenantId: string, patient: TestPatient, count: number): Promise<string[]> {
  const em = ts.server.database.orm.em.fork();
  // Through the ORM, so the payloads are encrypted at rest like any other write.
  const ids = await em.transactional(async (tx) => {
    const [row] = await tx.execute<{ event_seq: string }[]>('update tenant set event_seq = event_seq + ? where id = ? returning event_seq', [count, tenantId]);
    const first = Number(row!.event_seq) - count + 1;
    const written: string[] = [];
    for (let seq = first; seq < first + count; seq += 1) {
      const id = crypto.randomUUID();
      tx.create(StatusUpdate, { id, tenantId, patientId: patient.id, infantId: null, kind: 'MOOD', recordedAt: new Date(), recordedBy: patient.user!.id, data: { score: 3, note: NOTE }, seq });
      tx.create(OutboxEvent, { tenantId, seq, type: 'STATUS_UPDATE_LOGGED', patientId: patient.id, subjectId: id, kind: 'MOOD' });
      written.push(id);
    }
    await tx.flush();
    return written;
  });
  ts.server.services.relay.wake();
  return ids;
}

/** Polls the internal metrics listener until its text matches. */
async function waitForMetric(ts: TestServer, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrapeMetrics(ts);
    if (pattern.test(text)) return;
    if (Date.now() > deadline) throw new Error(`metrics never matched ${pattern}`);
    await quietPeriod(100);
  }
}

describe('backpressure', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let slowUser: TestUser;
  let fastUser: TestUser;
  let patient: TestPatient;

  beforeAll(async () => {
    // HEAVY uses 40 aliases on purpose; the default alias limit (15) would refuse it.
    ts = await startTestServer({ env: { CRADLE_LIVE_BUFFER_EVENTS: '5000', CRADLE_LIVE_MAX_LAG_MS: '5000', CRADLE_MAX_ALIASES: '50' } });
    tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    slowUser = await tenant.user('MIDWIFE');
    fastUser = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [slowUser, fastUser], withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('cuts off a stalled subscriber with close code 4413 while others receive everything; it resumes with since', async () => {
    const fastClient = wsClient(ts.wsUrl, fastUser.token);
    const fast = await subscribeLive(ts, fastClient, PATIENT_UPDATES);
    const opened = ts.server.services.feed.openedCount;
    const slow = await stallableSubscriber(ts.wsUrl, slowUser.token);
    await waitForLiveSince(ts, opened);
    const first = await logMood(ts.url, patient);
    await fast.waitFor(1);
    await slow.message((m) => m.includes(first.id));

    slow.stopReading();
    const flooded = await flood(ts, tenant.id, patient, FLOOD);

    await fast.waitFor(FLOOD + 1, 60_000);
    expect(receivedIds(fast)).toEqual([first.id, ...flooded]);
    expect(fast.errors).toEqual([]);

    await waitForMetric(ts, /^cradle_slow_consumers_dropped_total 1$/m, 20_000);
    slow.resumeReading();
    expect(await slow.closed(20_000)).toBe(4413);
    slow.destroy();

    // It resumes from the last cursor it is sure of and misses nothing.
    const resumed = collect<LiveEvent>(wsClient(ts.wsUrl, slowUser.token), PATIENT_UPDATES, { since: first.cursor });
    await resumed.waitFor(FLOOD, 30_000);
    expect(receivedIds(resumed)).toEqual(flooded);
    expect(new Set(receivedCursors(resumed)).size).toBe(FLOOD);
    await fastClient.dispose();
  }, 120_000);
});
