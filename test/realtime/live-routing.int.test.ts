import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, wsClient } from '../helpers/graphql-client.js';
import { logFeeding, logMood, PATIENT_UPDATES, receiveNext, receivedIds, receivedKinds, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SET_ROUTING = `mutation($kind: StatusKind!, $roles: [CareTeamRole!]!) { setLiveRouting(kind: $kind, roles: $roles) { kind roles isDefault } }`;

describe('live routing by relevance', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let gp: TestUser;
  let lactation: TestUser;
  let coordinator: TestUser;
  let patient: TestPatient;
  const clients: Client[] = [];
  const connect = (user: TestUser) => {
    const client = wsClient(ts.wsUrl, user.token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    gp = await tenant.user('PRIMARY_CARE_PROVIDER');
    lactation = await tenant.user('LACTATION_CONSULTANT');
    patient = await tenant.patient(coordinator, { team: [gp, lactation], withLogin: true });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it("routes by default only the kinds relevant to the subscriber's care-team role", async () => {
    const live = await subscribeLive(ts, connect(gp), PATIENT_UPDATES);
    await logFeeding(ts.url, patient);
    await receiveNext(live, () => logMood(ts.url, patient));
    // A GP may read feeding records, but feeding is not routed to GPs live by default.
    expect(receivedKinds(live)).toEqual(['MOOD']);
    live.stop();
  });

  it('delivers a kind the subscriber names explicitly, within her access', async () => {
    const live = await subscribeLive(ts, connect(gp), PATIENT_UPDATES, { kinds: ['FEEDING'] });
    await logFeeding(ts.url, patient);
    await live.waitFor(1);
    expect(receivedKinds(live)).toEqual(['FEEDING']);
    live.stop();
  });

  it('applies a changed routing table to open subscriptions at once', async () => {
    const live = await subscribeLive(ts, connect(gp), PATIENT_UPDATES);
    const table = await gqlOk<{ setLiveRouting: Array<{ kind: string; roles: string[]; isDefault: boolean }> }>(
      ts.url, SET_ROUTING, { kind: 'FEEDING', roles: ['MIDWIFE', 'LACTATION_CONSULTANT', 'CARE_COORDINATOR', 'PRIMARY_CARE_PROVIDER'] }, tenant.admin.token,
    );
    expect(table.setLiveRouting.find((r) => r.kind === 'FEEDING')).toMatchObject({ isDefault: false });
    // The mood (routed to GPs either way) arrives once the feed has applied the change announced before it.
    await receiveNext(live, () => logMood(ts.url, patient));
    await receiveNext(live, () => logFeeding(ts.url, patient));
    expect(receivedKinds(live)).toEqual(['MOOD', 'FEEDING']);
    live.stop();
  });

  it('never widens access: routing mood to lactation consultants delivers them no mood, only the feeding logged after it', async () => {
    const live = await subscribeLive(ts, connect(lactation), PATIENT_UPDATES);
    await gqlOk(ts.url, SET_ROUTING, { kind: 'MOOD', roles: ['LACTATION_CONSULTANT'] }, tenant.admin.token);
    // Feeding is routed to her (above): once it arrives, the feed has applied the change to mood.
    const applied = await receiveNext(live, () => logFeeding(ts.url, patient));
    const mood = await logMood(ts.url, patient, 1);
    const after = await receiveNext(live, () => logFeeding(ts.url, patient));
    expect(receivedIds(live)).toEqual([applied.id, after.id]);
    expect(receivedIds(live)).not.toContain(mood.id);
    live.stop();
  });

  it('lets a coordinator read the table but only an ADMIN change it', async () => {
    const read = await gqlOk<{ liveRouting: Array<{ kind: string; roles: string[] }> }>(ts.url, `{ liveRouting { kind roles isDefault } }`, {}, coordinator.token);
    expect(read.liveRouting.map((r) => r.kind)).toEqual(['MOOD', 'FEEDING', 'SLEEP', 'VITALS', 'INFANT_VITALS', 'SYMPTOMS', 'SCREENING']);
    expect(read.liveRouting.find((r) => r.kind === 'SCREENING')?.roles).toEqual(['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER', 'CARE_COORDINATOR']);
    expect(errorOf(await gql(ts.url, SET_ROUTING, { kind: 'MOOD', roles: [] }, coordinator.token)).code).toBe('FORBIDDEN');
  });

  it('rejects a routing row that repeats a role', async () => {
    expect(errorOf(await gql(ts.url, SET_ROUTING, { kind: 'MOOD', roles: ['MIDWIFE', 'MIDWIFE'] }, tenant.admin.token))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'roles',
    });
  });
});
