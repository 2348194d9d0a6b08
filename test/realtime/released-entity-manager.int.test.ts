import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logMood, receiveNext, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Loads the patient from the database on every delivery (a field resolver using the context's EntityManager). */
const SUBSCRIBE = `subscription($since: String) {
  patientUpdates(since: $since) { cursor update { id patient { id } } }
}`;
const REMOVE = `mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }`;

interface Delivered {
  patientUpdates: { cursor: string; update: { id: string; patient: { id: string } } };
}

/**
 * An open `patientUpdates` subscription lets go of its request's EntityManager once its feed is
 * open (`RequestContext.releaseEm`); these hold that what happens later in its life still works.
 */
describe('a live subscription after it released its EntityManager', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  const clients: Client[] = [];
  const connect = (token: string) => {
    const client = wsClient(ts.wsUrl, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it('delivers with fields loaded from the database, stops on removal from the care team, and resumes with since', async () => {
    const midwife = await tenant.user('MIDWIFE');
    const removedFrom: TestPatient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    const kept: TestPatient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    const client = connect(midwife.token);
    const live = await subscribeLive<Delivered>(ts, client, SUBSCRIBE);

    const first = await receiveNext(live, () => logMood(ts.url, removedFrom, 2));
    const second = await receiveNext(live, () => logMood(ts.url, kept, 2));
    expect(live.received.map((e) => e.patientUpdates.update)).toEqual([
      { id: first.id, patient: { id: removedFrom.id } },
      { id: second.id, patient: { id: kept.id } },
    ]);

    await gqlOk(ts.url, REMOVE, { p: removedFrom.id, u: midwife.id }, coordinator.token);
    const withheld = await logMood(ts.url, removedFrom, 1);
    const after = await receiveNext(live, () => logMood(ts.url, kept, 3));
    expect(live.received.map((e) => e.patientUpdates.update.id)).toEqual([first.id, second.id, after.id]);
    expect(live.received.map((e) => e.patientUpdates.update.id)).not.toContain(withheld.id);
    expect(live.errors).toEqual([]);
    await client.dispose();

    const missed = [await logMood(ts.url, kept, 4), await logMood(ts.url, kept, 5)];
    const resumed = collect<Delivered>(connect(midwife.token), SUBSCRIBE, { since: first.cursor });
    await resumed.waitFor(4);
    await quietPeriod(300);
    expect(resumed.received.map((e) => e.patientUpdates.cursor)).toEqual([second.cursor, after.cursor, ...missed.map((m) => m.cursor)]);
    expect(resumed.received.every((e) => e.patientUpdates.update.patient.id === kept.id)).toBe(true);
    expect(resumed.errors).toEqual([]);
  });
});
