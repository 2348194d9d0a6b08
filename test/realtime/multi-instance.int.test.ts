import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receiveNext, receivedCursors, receivedIds, subscribeLive, type LiveEvent, type Logged } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Several instances of one deployment: the same database and bus (PostgreSQL and Redis when
 * configured; otherwise one embedded PGlite and one in-process bus shared in this process).
 */
describe('several server instances', () => {
  let a: TestServer;
  let b: TestServer;
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
    a = await startTestServer();
    b = await startTestServer({ shareWith: a });
    const tenant = await TestTenant.create(a);
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
});
