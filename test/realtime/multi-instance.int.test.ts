import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { Channels } from '../../src/realtime/event-bus.js';
import { collect, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receiveNext, receivedCursors, receivedIds, seqOf, subscribeLive, type LiveEvent, type Logged } from '../helpers/live.js';
import { RedisProcess } from '../helpers/redis-process.js';
import { backend, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Several instances of one deployment. Each has its own bus connections, as separate instances
 * would: to REDIS_URL when set, otherwise to a redis-server of this file's own (the in-process bus
 * of the embedded default cannot be split between instances). They share one database: PostgreSQL
 * when DATABASE_URL is set, otherwise one embedded PGlite in this process, whose single session
 * runs the instances' transactions one at a time. What needs instances writing and publishing
 * concurrently against one database is therefore proven on PostgreSQL only, and skipped otherwise.
 */
describe('several server instances, each with its own bus connections', () => {
  let redis: RedisProcess | null = null;
  let a: TestServer;
  let b: TestServer;
  let tenant: TestTenant;
  let midwife: TestUser;
  let outsider: TestUser;
  let patient: TestPatient;
  /** A patient on the outsider's own care team. */
  let outsidersPatient: TestPatient;
  const clients: Client[] = [];
  const connect = (server: TestServer, user: TestUser, onClose?: (code: number) => void) => {
    const client = wsClient(server.wsUrl, user.token, onClose);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    if (!backend.redisUrl) redis = await RedisProcess.start();
    a = await startTestServer(redis ? { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `instances_${crypto.randomUUID().slice(0, 8)}:` } } : {});
    b = await startTestServer({ shareWith: a });
    tenant = await TestTenant.create(a);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    outsider = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    outsidersPatient = await tenant.patient(coordinator, { team: [outsider], withLogin: true });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await b?.close();
    await a?.close();
    await redis?.kill();
  });

  it('gives each instance a bus of its own, not one shared in this process', () => {
    expect(a.server.services.bus.kind).toBe('redis');
    expect(b.server.services.bus).not.toBe(a.server.services.bus);
  });

  it('delivers an update written on instance A to a subscriber on instance B', async () => {
    const live = await subscribeLive(b, connect(b, midwife), PATIENT_UPDATES);
    const logged = await logMood(a.url, patient, 1);
    await live.waitFor(1);
    expect(receivedIds(live)).toEqual([logged.id]);
    live.stop();
  });

  it('delivers nothing on instance B to a clinician who is not entitled, and her own patient\'s update written after it', async () => {
    const live = await subscribeLive(b, connect(b, outsider), PATIENT_UPDATES);
    await logMood(a.url, patient, 2);
    await logMood(b.url, patient, 2);
    const entitled = await receiveNext(live, () => logMood(a.url, outsidersPatient, 2));
    expect(receivedIds(live)).toEqual([entitled.id]);
    expect(live.errors).toEqual([]);
    live.stop();
  });

  it('lets the subscribers of a lost instance resume on another with no gap and no duplicate', async () => {
    const c = await startTestServer({ shareWith: a });
    let closeCode = 0;
    const first = await subscribeLive(c, connect(c, midwife, (code) => (closeCode = code)), PATIENT_UPDATES);
    const before: Logged[] = [];
    for (let i = 0; i < 5; i++) before.push(await logMood(a.url, patient));
    await first.waitFor(5);
    await c.close();
    expect(closeCode).toBe(1012);
    const during: Logged[] = [];
    for (let i = 0; i < 5; i++) during.push(await logMood(a.url, patient));
    const lastCursor = receivedCursors(first).at(-1)!;
    const resumed = collect<LiveEvent>(connect(b, midwife), PATIENT_UPDATES, { since: lastCursor });
    await resumed.waitFor(5);
    const after = await logMood(a.url, patient);
    await resumed.waitFor(6);
    await quietPeriod(300);
    expect(receivedIds(first)).toEqual(before.map((l) => l.id));
    expect(receivedIds(resumed)).toEqual([...during, after].map((l) => l.id));
  });

  it.skipIf(!backend.databaseUrl)(
    'publishes each update once and delivers it once to a subscriber on each instance while both instances write at once (PostgreSQL only: one PGlite session would serialise the relays)',
    async () => {
      const onA = await subscribeLive(a, connect(a, midwife), PATIENT_UPDATES);
      const onB = await subscribeLive(b, connect(b, midwife), PATIENT_UPDATES);
      const published: number[] = [];
      const unsubscribe = await a.server.services.bus.subscribe(Channels.tenantEvents(tenant.id), (message) => {
        published.push(...(JSON.parse(message) as Array<{ seq: number }>).map((event) => event.seq));
      });
      try {
        const logged = await Promise.all(Array.from({ length: 20 }, (_, i) => logMood((i % 2 === 0 ? a : b).url, patient, (i % 5) + 1)));
        const seqs = logged.map((l) => seqOf(l.cursor)).sort((x, y) => x - y);
        await onA.waitFor(seqs.length, 20_000);
        await onB.waitFor(seqs.length, 20_000);
        await Promise.all([a.server.services.relay.flush(), b.server.services.relay.flush()]);
        expect(receivedCursors(onA).map(seqOf)).toEqual(seqs);
        expect(receivedCursors(onB).map(seqOf)).toEqual(seqs);
        expect(published.filter((seq) => seqs.includes(seq)).sort((x, y) => x - y)).toEqual(seqs);
      } finally {
        await unsubscribe();
        onA.stop();
        onB.stop();
      }
    },
    60_000,
  );
});
