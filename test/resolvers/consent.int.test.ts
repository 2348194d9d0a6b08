import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logFeeding, logMood, PATIENT_UPDATES, receiveNext, receivedIds, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id type categories version active } }`;
const REVOKE = `mutation($id: ID!) { revokeConsent(id: $id) { id active revokedAt } }`;
const MOODS = `query($p: ID!) { statusUpdates(patientId: $p, kinds: [MOOD]) { edges { node { id } } } }`;

describe('consent', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let lactation: TestUser;
  let patient: TestPatient;
  let other: TestPatient;
  /** Another patient of the lactation consultant, whom the consent changes here do not touch. */
  let unaffected: TestPatient;
  const clients: Client[] = [];

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    lactation = await tenant.user('LACTATION_CONSULTANT');
    patient = await tenant.patient(coordinator, { team: [lactation], withLogin: true });
    other = await tenant.patient(coordinator, { withLogin: true });
    unaffected = await tenant.patient(coordinator, { team: [lactation], withLogin: true });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  const moodIds = async (user: TestUser) =>
    (await gqlOk<{ statusUpdates: { edges: Array<{ node: { id: string } }> } }>(ts.url, MOODS, { p: patient.id }, user.token)).statusUpdates.edges.map((e) => e.node.id);
  const share = (categories: string[], extra: Record<string, unknown> = {}) =>
    gql<{ grantConsent: { id: string; active: boolean } }>(
      ts.url, GRANT, { input: { patientId: patient.id, type: 'DATA_SHARING', categories, version: 'v1.2', ...extra } }, patient.user!.token,
    );

  it('widens what the care team sees while a DATA_SHARING consent is active, and narrows it again at once on revocation', async () => {
    const mood = await logMood(ts.url, patient, 1);
    expect(await moodIds(lactation)).toEqual([]);
    const granted = await share(['MENTAL_HEALTH']);
    expect(granted.data?.grantConsent).toMatchObject({ active: true });
    expect(await moodIds(lactation)).toEqual([mood.id]);
    const revoked = await gqlOk<{ revokeConsent: { active: boolean; revokedAt: string } }>(ts.url, REVOKE, { id: granted.data!.grantConsent.id }, patient.user!.token);
    expect(revoked.revokeConsent.active).toBe(false);
    expect(await moodIds(lactation)).toEqual([]);
  });

  it('starts and stops live delivery on an open subscription as consent is given and revoked', async () => {
    const client = wsClient(ts.wsUrl, lactation.token);
    clients.push(client);
    const live = await subscribeLive(ts, client, PATIENT_UPDATES, { kinds: ['MOOD', 'FEEDING'] });
    // Her feeding (always hers to see) after a mood (not yet shared): only the feeding arrives.
    const unshared = await logMood(ts.url, patient, 2);
    const before = await receiveNext(live, () => logFeeding(ts.url, patient));
    const granted = await share(['MENTAL_HEALTH']);
    // Once another patient's update arrives, the feed has applied the consent announced before it.
    const granting = await receiveNext(live, () => logFeeding(ts.url, unaffected));
    const shared = await receiveNext(live, () => logMood(ts.url, patient, 2));
    await gqlOk(ts.url, REVOKE, { id: granted.data!.grantConsent.id }, patient.user!.token);
    const revoking = await receiveNext(live, () => logFeeding(ts.url, unaffected));
    const withdrawn = await logMood(ts.url, patient, 2);
    const after = await receiveNext(live, () => logFeeding(ts.url, patient));
    expect(receivedIds(live)).toEqual([before.id, granting.id, shared.id, revoking.id, after.id]);
    expect(receivedIds(live)).not.toContain(unshared.id);
    expect(receivedIds(live)).not.toContain(withdrawn.id);
    expect(live.errors).toEqual([]);
    live.stop();
  });

  it('stops live delivery of a shared category the moment its consent expires, and keeps the socket for the rest', async () => {
    const client = wsClient(ts.wsUrl, lactation.token);
    clients.push(client);
    const live = await subscribeLive(ts, client, PATIENT_UPDATES, { kinds: ['MOOD', 'FEEDING'] });
    const expiresAt = Date.now() + 2500;
    const granted = await share(['MENTAL_HEALTH'], { expiresAt: new Date(expiresAt).toISOString() });
    expect(granted.data?.grantConsent).toMatchObject({ active: true });
    await quietPeriod(300);
    const shared = await logMood(ts.url, patient, 3);
    await live.waitFor(1);
    expect(receivedIds(live)).toEqual([shared.id]);

    // No revocation, no other change: only the clock passes the expiry (the feed re-checks within a second).
    await quietPeriod(Math.max(0, expiresAt - Date.now()) + 1300);
    await logMood(ts.url, patient, 3);
    const feeding = await logFeeding(ts.url, patient);
    await live.waitFor(2);
    await quietPeriod(500);
    expect(receivedIds(live)).toEqual([shared.id, feeding.id]);
    expect(live.errors).toEqual([]);
    live.stop();
  });

  it("lets only the patient manage her consents, and hides other patients' as not found", async () => {
    expect(errorOf(await gql(ts.url, GRANT, { input: { patientId: patient.id, type: 'DATA_SHARING', categories: ['FEEDING'], version: 'v1' } }, coordinator.token)).code).toBe('FORBIDDEN');
    expect(errorOf(await gql(ts.url, GRANT, { input: { patientId: patient.id, type: 'DATA_SHARING', categories: ['FEEDING'], version: 'v1' } }, other.user!.token))).toEqual({
      code: 'NOT_FOUND',
      field: 'input.patientId',
    });
    const mine = await share(['FEEDING']);
    expect(errorOf(await gql(ts.url, REVOKE, { id: mine.data!.grantConsent.id }, other.user!.token))).toEqual({ code: 'NOT_FOUND', field: 'id' });
  });

  it('rejects repeated categories and an expiry in the past, storing nothing', async () => {
    const listBefore = await gqlOk<{ consents: unknown[] }>(ts.url, `query($p: ID!) { consents(patientId: $p) { id } }`, { p: patient.id }, patient.user!.token);
    expect(errorOf(await share(['FEEDING', 'FEEDING']))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.categories' });
    expect(errorOf(await share(['FEEDING'], { expiresAt: '2020-01-01T00:00:00Z' }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.expiresAt' });
    const listAfter = await gqlOk<{ consents: unknown[] }>(ts.url, `query($p: ID!) { consents(patientId: $p) { id } }`, { p: patient.id }, patient.user!.token);
    expect(listAfter.consents.length).toBe(listBefore.consents.length);
  });

  it('shows the care team her consents, revoked ones included, newest first', async () => {
    const list = await gqlOk<{ consents: Array<{ type: string; active: boolean; version: string }> }>(
      ts.url, `query($p: ID!) { consents(patientId: $p) { type active version } }`, { p: patient.id }, lactation.token,
    );
    expect(list.consents.length).toBeGreaterThanOrEqual(3);
    expect(list.consents.some((c) => !c.active)).toBe(true);
    expect(list.consents.every((c) => c.type === 'DATA_SHARING' && c.version === 'v1.2')).toBe(true);
  });
});
