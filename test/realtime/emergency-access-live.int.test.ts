import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gqlOk, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receiveNext, receivedIds, subscribeLive } from '../helpers/live.js';
import { startTestServerWithClock, type TestServer } from '../helpers/test-server.js';

const REQUEST = `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id expiresAt } }`;
const JUSTIFICATION = 'Collapsed in clinic; her own care team cannot be reached.';

describe('break-glass access on an open subscription', () => {
  let ts: TestServer;
  let clock: { now: number };
  let clinician: TestUser;
  let patient: TestPatient;
  /** A patient on the clinician's own care team. */
  let ownPatient: TestPatient;
  const clients: Client[] = [];

  beforeAll(async () => {
    // Five minutes of break-glass, within the access tokens' fifteen, so the clock passes only the grant's end.
    ({ ts, clock } = await startTestServerWithClock(Date.now(), { env: { CRADLE_EMERGENCY_ACCESS_MINUTES: '5' } }));
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    clinician = await tenant.user('PRIMARY_CARE_PROVIDER');
    patient = await tenant.patient(coordinator, { withLogin: true });
    ownPatient = await tenant.patient(coordinator, { team: [clinician], withLogin: true });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it("stops delivering a patient's updates to a clinician's open subscription when her break-glass access expires, and keeps her own patients flowing", async () => {
    const granted = await gqlOk<{ requestEmergencyAccess: { expiresAt: string } }>(ts.url, REQUEST, { p: patient.id, j: JUSTIFICATION }, clinician.token);
    const client = wsClient(ts.wsUrl, clinician.token);
    clients.push(client);
    // Break-glass grants are not routed by care-team role: she names the kinds she follows.
    const live = await subscribeLive(ts, client, PATIENT_UPDATES, { kinds: ['MOOD'] });
    const whileOpen = await receiveNext(live, () => logMood(ts.url, patient, 2));

    clock.now = Date.parse(granted.requestEmergencyAccess.expiresAt) + 1000;
    const afterExpiry = await logMood(ts.url, patient, 2);
    const own = await receiveNext(live, () => logMood(ts.url, ownPatient, 2));
    expect(receivedIds(live)).toEqual([whileOpen.id, own.id]);
    expect(receivedIds(live)).not.toContain(afterExpiry.id);
    expect(live.errors).toEqual([]);
    live.stop();
  });
});
