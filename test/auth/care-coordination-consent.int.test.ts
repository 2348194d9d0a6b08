import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, quietPeriod, wsClient, type Collector } from '../helpers/graphql-client.js';
import { logFeeding, logMood, PATIENT_UPDATES, receivedKinds, subscribeLive, type LiveEvent } from '../helpers/live.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';
import { moodProtocolInput } from './matrix-fixtures.js';

const GRANT = 'mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id active } }';
const REVOKE = 'mutation($id: ID!) { revokeConsent(id: $id) { id active } }';
const UPDATES = 'query($p: ID!, $k: [StatusKind!]) { statusUpdates(patientId: $p, kinds: $k) { edges { node { id kind } } } }';

/**
 * CARE_COORDINATION consent: treatment needs none, so a coordinator reads her role's categories of a
 * patient who never recorded one; once the patient has, the coordinator's clinical categories are
 * those her active CARE_COORDINATION consents list (identity, contact and care team always stay).
 * Treating clinicians are unaffected. Requests, mutations and live subscriptions all follow.
 */
describe('CARE_COORDINATION consent', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let clock: { now: number };
  let coordinator: TestUser;
  let midwife: TestUser;
  let patient: TestPatient;
  let untouched: TestPatient;
  const clients: Client[] = [];

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock());
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    untouched = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  const kindsSeenBy = async (user: TestUser, p: TestPatient = patient) =>
    (await gqlOk<{ statusUpdates: { edges: Array<{ node: { kind: string } }> } }>(ts.url, UPDATES, { p: p.id }, user.token)).statusUpdates.edges.map((e) => e.node.kind).sort();
  const consent = async (type: string, categories: string[], extra: Record<string, unknown> = {}) =>
    (await gqlOk<{ grantConsent: { id: string } }>(ts.url, GRANT, { i: { patientId: patient.id, type, categories, version: 'cc-1', ...extra } }, patient.user!.token)).grantConsent.id;
  const revoke = (id: string) => gqlOk(ts.url, REVOKE, { id }, patient.user!.token);
  const live = async (user: TestUser): Promise<Collector<LiveEvent>> => {
    const client = wsClient(ts.wsUrl, user.token);
    clients.push(client);
    return subscribeLive(ts, client, PATIENT_UPDATES, { patientIds: [patient.id], kinds: ['MOOD', 'FEEDING'] });
  };

  it('limits the coordinator, and only her, to what the consent lists, at once on requests, mutations, alerts and live feeds; revocation leaves her the basics', async () => {
    await ts.server.services.alerting.runDue();
    await gqlOk(ts.url, 'mutation($i: ProtocolInput!) { createProtocol(input: $i) { id } }', { i: moodProtocolInput('Low mood', 'mood.score <= 2') }, coordinator.token);
    await logMood(ts.url, patient, 2);
    await logFeeding(ts.url, patient);
    await ts.server.services.alerting.runDue();
    const [alert] = await rawSql(ts, 'select id from alert where patient_id = ?', [patient.id]);
    const alertId = String(alert!['id']);
    // No CARE_COORDINATION record: the coordinator reads what her role gives her.
    expect(await kindsSeenBy(coordinator)).toEqual(['FEEDING', 'MOOD']);
    const coordinatorFeed = await live(coordinator);
    const midwifeFeed = await live(midwife);

    const feedingOnly = await consent('CARE_COORDINATION', ['FEEDING']);
    expect(await kindsSeenBy(coordinator)).toEqual(['FEEDING']);
    expect(await kindsSeenBy(midwife)).toEqual(['FEEDING', 'MOOD']);
    const fields = await gql(ts.url, 'query($id: ID!) { patient(id: $id) { givenName phone careTeam { role } deliveryDate } }', { id: patient.id }, coordinator.token);
    expect(fields.data).toBeNull();
    expect(fields.errors?.map((e) => [e.path?.toString(), e.extensions?.code])).toEqual([['patient,deliveryDate', 'FORBIDDEN']]);
    expect(errorOf(await gql(ts.url, 'query($id: ID!) { alert(id: $id) { id } }', { id: alertId }, coordinator.token)).code).toBe('NOT_FOUND');
    expect((await gqlOk<{ alert: { id: string } }>(ts.url, 'query($id: ID!) { alert(id: $id) { id } }', { id: alertId }, midwife.token)).alert.id).toBe(alertId);
    const logged = await gql(ts.url, 'mutation($i: LogMoodInput!) { logMood(input: $i) { id } }', { i: { patientId: patient.id, score: 4 } }, coordinator.token);
    expect(errorOf(logged)).toEqual({ code: 'NOT_FOUND', field: 'input.patientId' });
    await logMood(ts.url, patient, 3);
    await logFeeding(ts.url, patient);
    await quietPeriod(600);
    expect(receivedKinds(coordinatorFeed)).toEqual(['FEEDING']);
    expect(receivedKinds(midwifeFeed)).toEqual(['MOOD', 'FEEDING']);

    // Revoked: the coordinator keeps who she is, how to reach her and her team, and loses every clinical category.
    await revoke(feedingOnly);
    expect(await kindsSeenBy(coordinator)).toEqual([]);
    const basics = await gqlOk<{ patient: { givenName: string; phone: string; careTeam: unknown[] } }>(
      ts.url, 'query($id: ID!) { patient(id: $id) { givenName phone careTeam { role } } }', { id: patient.id }, coordinator.token,
    );
    expect(basics.patient.careTeam).toHaveLength(2);
    // Sharing with the whole team does not override her refusal of coordination.
    const sharing = await consent('DATA_SHARING', ['MENTAL_HEALTH', 'FEEDING']);
    expect(await kindsSeenBy(coordinator)).toEqual([]);
    await logFeeding(ts.url, patient);
    await quietPeriod(600);
    expect(receivedKinds(coordinatorFeed)).toEqual(['FEEDING']);
    expect(receivedKinds(midwifeFeed)).toEqual(['MOOD', 'FEEDING', 'FEEDING']);
    await revoke(sharing);

    // Consent given again: the open subscription delivers again, without resubscribing.
    await consent('CARE_COORDINATION', ['MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT']);
    expect(await kindsSeenBy(coordinator)).toEqual(['FEEDING', 'FEEDING', 'FEEDING', 'MOOD', 'MOOD']);
    await logMood(ts.url, patient, 4);
    await quietPeriod(600);
    expect(receivedKinds(coordinatorFeed)).toEqual(['FEEDING', 'MOOD']);
    expect(coordinatorFeed.errors).toEqual([]);
    // Her other patients never recorded one and are untouched.
    await logMood(ts.url, untouched, 3);
    expect(await kindsSeenBy(coordinator, untouched)).toEqual(['MOOD']);
  });

  it('narrows the coordinator again when the consent expires', async () => {
    const mother = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    await logMood(ts.url, mother, 3);
    await gqlOk(ts.url, GRANT, {
      i: { patientId: mother.id, type: 'CARE_COORDINATION', categories: ['MENTAL_HEALTH'], version: 'cc-1', expiresAt: new Date(clock.now + 60_000).toISOString() },
    }, mother.user!.token);
    expect(await kindsSeenBy(coordinator, mother)).toEqual(['MOOD']);
    clock.now += 120_000;
    expect(await kindsSeenBy(coordinator, mother)).toEqual([]);
    expect(await kindsSeenBy(midwife, mother)).toEqual(['MOOD']);
  });
});
