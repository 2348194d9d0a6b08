import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Channels } from '../../src/realtime/event-bus.js';
import type { PublishedEvent } from '../../src/realtime/outbox-relay.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receivedIds, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The live feed reads on its subscribers' behalf behind the same walls as a request: the tenant
 * check in the application, and PostgreSQL's row-level security for the room's tenant. A bus
 * message that names another tenant's update (a relay bug, or someone who can write to Redis) must
 * deliver nothing.
 */
describe('live feed tenant wall', () => {
  let ts: TestServer;
  let home: { tenant: TestTenant; midwife: TestUser; patient: TestPatient };
  let other: { tenant: TestTenant; patient: TestPatient };

  beforeAll(async () => {
    ts = await startTestServer();
    const homeTenant = await TestTenant.create(ts);
    const homeCoordinator = await homeTenant.user('CARE_COORDINATOR');
    const midwife = await homeTenant.user('MIDWIFE');
    home = { tenant: homeTenant, midwife, patient: await homeTenant.patient(homeCoordinator, { team: [midwife], withLogin: true }) };
    const otherTenant = await TestTenant.create(ts);
    const otherCoordinator = await otherTenant.user('CARE_COORDINATOR');
    other = { tenant: otherTenant, patient: await otherTenant.patient(otherCoordinator, { withLogin: true }) };
  });

  afterAll(async () => {
    await ts?.close();
  });

  it.each([
    ['claims the other tenant', (otherTenantId: string) => otherTenantId],
    ['claims the subscriber\'s own tenant', (_: string, homeTenantId: string) => homeTenantId],
  ])('delivers nothing for a forged event on a tenant\'s channel naming another tenant\'s update when it %s', async (_label, claimedTenant) => {
    const client = wsClient(ts.wsUrl, home.midwife.token);
    const live = await subscribeLive(ts, client, PATIENT_UPDATES);
    const foreign = await logMood(ts.url, other.patient, 2);
    const forged: PublishedEvent = {
      tenantId: claimedTenant(other.tenant.id, home.tenant.id),
      seq: 1_000_000,
      type: 'STATUS_UPDATE_LOGGED',
      patientId: home.patient.id,
      subjectId: foreign.id,
      kind: 'MOOD',
      committedAt: Date.now(),
    };
    await ts.server.services.bus.publish(Channels.tenantEvents(home.tenant.id), JSON.stringify(forged));
    await quietPeriod(500);
    expect(live.received).toEqual([]);

    // The subscription is alive and its cursor untouched: a genuine update still arrives.
    const genuine = await logMood(ts.url, home.patient, 4);
    await live.waitFor(1);
    expect(receivedIds(live)).toEqual([genuine.id]);
    expect(live.errors).toEqual([]);
    await client.dispose();
  });
});
