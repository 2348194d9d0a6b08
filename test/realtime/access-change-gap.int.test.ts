import { Redis } from 'ioredis';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tenant } from '../../src/db/entities/index.js';
import { Channels } from '../../src/realtime/event-bus.js';
import type { AccessChange } from '../../src/realtime/live-feed.js';
import type { PublishedEvent } from '../../src/realtime/outbox-relay.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gqlOk, wsClient } from '../helpers/graphql-client.js';
import { logFeeding, logMood, PATIENT_UPDATES, receiveNext, receivedIds, seqOf, subscribeLive, type Logged } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`;
const REVOKE = `mutation($id: ID!) { revokeConsent(id: $id) { id } }`;
const SET_PERMISSIONS = `mutation($role: Role!, $categories: [DataCategory!]!) { setRolePermissions(role: $role, categories: $categories) { role } }`;
const LOG_INFANT_VITALS = `mutation($input: LogInfantVitalsInput!) { logInfantVitals(input: $input) { id cursor } }`;

/**
 * An access change (consent, role permissions, routing) drops the grants it concerns at once and
 * looks them up again in the background. An event about the patient that reaches the feed before
 * that lookup is done must still reach every subscriber who stays entitled, and only them.
 *
 * Each test commits the change, then has it announced and a committed update published again
 * right behind it, in one step on the bus (the relay may publish a row twice): both reach the feed
 * before its lookup can have finished, on either bus, with no timing involved. The update was
 * committed, and published once, before anyone subscribed, so its re-publication is the only way
 * it can arrive. Consent and permission changes go through the API, whose own announcement comes
 * first (the one repeated here drops the grants again at once, as any announcement does); a routing
 * table is written to the database directly, since it changes nothing in memory until its first
 * announcement is applied.
 */
describe('live feed during an access change', () => {
  let ts: TestServer;
  const clients: Client[] = [];
  const connect = (user: TestUser) => {
    const client = wsClient(ts.wsUrl, user.token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  /** A fresh tenant (so no routing or permission change leaks between tests) with a midwife, a lactation consultant and a GP on one patient's team. */
  async function clinic(): Promise<{ tenant: TestTenant; midwife: TestUser; lactation: TestUser; gp: TestUser; patient: TestPatient }> {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const midwife = await tenant.user('MIDWIFE');
    const lactation = await tenant.user('LACTATION_CONSULTANT');
    const gp = await tenant.user('PRIMARY_CARE_PROVIDER');
    const patient = await tenant.patient(coordinator, { team: [midwife, lactation, gp], withLogin: true });
    return { tenant, midwife, lactation, gp, patient };
  }

  /** Commits an update and waits until the relay has published it (to nobody yet, as no one subscribes). */
  async function committedBeforeSubscribing(write: () => Promise<Logged>): Promise<Logged> {
    const logged = await write();
    await ts.server.services.relay.flush();
    return logged;
  }

  /** The bus event of a logged update, as the relay publishes it. */
  function eventOf(tenant: TestTenant, patient: TestPatient, logged: Logged, kind: string): PublishedEvent {
    return { tenantId: tenant.id, seq: seqOf(logged.cursor), type: 'STATUS_UPDATE_LOGGED', patientId: patient.id, subjectId: logged.id, kind, committedAt: Date.now() };
  }

  /**
   * Announces `change` and publishes `events` right behind it (or, with `eventsFirst`, right before
   * it, so the events are still loading when the change arrives), so the feed takes both before it
   * can look anything up or load anything: in the in-process bus both handlers are queued in one synchronous step;
   * in Redis one MULTI/EXEC publishes both, and the subscriber connection receives them together.
   */
  async function announceWithEvents(tenant: TestTenant, change: AccessChange, events: PublishedEvent[], eventsFirst = false): Promise<void> {
    const announcement: [string, string] = [Channels.tenantAccess(tenant.id), JSON.stringify(change)];
    const published: [string, string] = [Channels.tenantEvents(tenant.id), JSON.stringify(events)];
    const messages = eventsFirst ? [published, announcement] : [announcement, published];
    const config = ts.server.services.config.bus;
    if (config.kind === 'memory') {
      await Promise.all(messages.map(([channel, message]) => ts.server.services.bus.publish(channel, message)));
      return;
    }
    const redis = new Redis(config.url);
    try {
      const multi = redis.multi();
      for (const [channel, message] of messages) multi.publish(config.keyPrefix + channel, message);
      await multi.exec();
    } finally {
      await redis.quit();
    }
  }

  /** Stores a tenant's routing row for one kind, as `setLiveRouting` does, without announcing it. */
  async function storeRouting(tenant: TestTenant, kind: string, roles: string[]): Promise<void> {
    const em = ts.server.database.orm.em.fork();
    const row = await em.findOneOrFail(Tenant, { id: tenant.id });
    row.liveRouting = { ...(row.liveRouting ?? {}), [kind]: roles };
    await em.flush();
  }

  const logInfantVitals = async (patient: TestPatient): Promise<Logged> =>
    (await gqlOk<{ logInfantVitals: Logged }>(ts.url, LOG_INFANT_VITALS, { input: { patientId: patient.id, infantId: patient.infantId, weightGrams: 3500 } }, patient.user!.token)).logInfantVitals;

  it('delivers an update arriving during a consent change to the clinician whose access did not change, once and in order, and nothing to the one whose consent was revoked', async () => {
    const { tenant, midwife, lactation, patient } = await clinic();
    const consent = await gqlOk<{ grantConsent: { id: string } }>(
      ts.url, GRANT, { input: { patientId: patient.id, type: 'DATA_SHARING', categories: ['MENTAL_HEALTH'], version: 'v1' } }, patient.user!.token,
    );
    const mood = await committedBeforeSubscribing(() => logMood(ts.url, patient, 2));
    const midwifeLive = await subscribeLive(ts, connect(midwife), PATIENT_UPDATES, { kinds: ['MOOD'] });
    const lactationLive = await subscribeLive(ts, connect(lactation), PATIENT_UPDATES, { kinds: ['MOOD', 'FEEDING'] });

    await gqlOk(ts.url, REVOKE, { id: consent.grantConsent.id }, patient.user!.token);
    const event = eventOf(tenant, patient, mood, 'MOOD');
    await announceWithEvents(tenant, { type: 'CARE_TEAM', patientId: patient.id, userId: null }, [event, event]);

    // Each socket receives in cursor order: a later update arriving proves the earlier one was decided.
    const next = await receiveNext(midwifeLive, () => logMood(ts.url, patient, 3));
    expect(receivedIds(midwifeLive)).toEqual([mood.id, next.id]);
    const feeding = await receiveNext(lactationLive, () => logFeeding(ts.url, patient));
    expect(receivedIds(lactationLive)).toEqual([feeding.id]);
    expect([...midwifeLive.errors, ...lactationLive.errors]).toEqual([]);
  });

  it('delivers an update that arrived just before a consent change, and was still loading, to the clinician whose access did not change, and nothing to the one whose consent was revoked', async () => {
    const { tenant, midwife, lactation, patient } = await clinic();
    const consent = await gqlOk<{ grantConsent: { id: string } }>(
      ts.url, GRANT, { input: { patientId: patient.id, type: 'DATA_SHARING', categories: ['MENTAL_HEALTH'], version: 'v1' } }, patient.user!.token,
    );
    const mood = await committedBeforeSubscribing(() => logMood(ts.url, patient, 2));
    const midwifeLive = await subscribeLive(ts, connect(midwife), PATIENT_UPDATES, { kinds: ['MOOD'] });
    const lactationLive = await subscribeLive(ts, connect(lactation), PATIENT_UPDATES, { kinds: ['MOOD', 'FEEDING'] });

    await gqlOk(ts.url, REVOKE, { id: consent.grantConsent.id }, patient.user!.token);
    await announceWithEvents(tenant, { type: 'CARE_TEAM', patientId: patient.id, userId: null }, [eventOf(tenant, patient, mood, 'MOOD')], true);

    const next = await receiveNext(midwifeLive, () => logMood(ts.url, patient, 3));
    expect(receivedIds(midwifeLive)).toEqual([mood.id, next.id]);
    const feeding = await receiveNext(lactationLive, () => logFeeding(ts.url, patient));
    expect(receivedIds(lactationLive)).toEqual([feeding.id]);
    expect([...midwifeLive.errors, ...lactationLive.errors]).toEqual([]);
  });

  it('delivers an update arriving during a role-permissions change to the role it still concerns, and nothing to the role that lost its category', async () => {
    const { tenant, midwife, lactation, patient } = await clinic();
    const feeding = await committedBeforeSubscribing(() => logFeeding(ts.url, patient));
    const midwifeLive = await subscribeLive(ts, connect(midwife), PATIENT_UPDATES, { kinds: ['FEEDING'] });
    const lactationLive = await subscribeLive(ts, connect(lactation), PATIENT_UPDATES, { kinds: ['FEEDING', 'INFANT_VITALS'] });

    await gqlOk(ts.url, SET_PERMISSIONS, { role: 'LACTATION_CONSULTANT', categories: ['IDENTITY', 'CONTACT', 'INFANT', 'CARE_TEAM'] }, tenant.admin.token);
    await announceWithEvents(tenant, { type: 'PERMISSIONS' }, [eventOf(tenant, patient, feeding, 'FEEDING')]);

    const next = await receiveNext(midwifeLive, () => logFeeding(ts.url, patient));
    expect(receivedIds(midwifeLive)).toEqual([feeding.id, next.id]);
    const weighed = await receiveNext(lactationLive, () => logInfantVitals(patient));
    expect(receivedIds(lactationLive)).toEqual([weighed.id]);
    expect([...midwifeLive.errors, ...lactationLive.errors]).toEqual([]);
  });

  it('routes an update arriving during a routing change by the new table to a role it newly reaches', async () => {
    const { tenant, gp, patient } = await clinic();
    const feeding = await committedBeforeSubscribing(() => logFeeding(ts.url, patient));
    const gpLive = await subscribeLive(ts, connect(gp), PATIENT_UPDATES);

    await storeRouting(tenant, 'FEEDING', ['MIDWIFE', 'LACTATION_CONSULTANT', 'CARE_COORDINATOR', 'PRIMARY_CARE_PROVIDER']);
    await announceWithEvents(tenant, { type: 'ROUTING' }, [eventOf(tenant, patient, feeding, 'FEEDING')]);

    const mood = await receiveNext(gpLive, () => logMood(ts.url, patient));
    expect(receivedIds(gpLive)).toEqual([feeding.id, mood.id]);
    expect(gpLive.errors).toEqual([]);
  });

  it('routes an update arriving during a routing change by the new table away from a role it no longer reaches, and still to the others', async () => {
    const { tenant, midwife, lactation, patient } = await clinic();
    const feeding = await committedBeforeSubscribing(() => logFeeding(ts.url, patient));
    const midwifeLive = await subscribeLive(ts, connect(midwife), PATIENT_UPDATES);
    const lactationLive = await subscribeLive(ts, connect(lactation), PATIENT_UPDATES);

    await storeRouting(tenant, 'FEEDING', ['LACTATION_CONSULTANT', 'CARE_COORDINATOR']);
    await announceWithEvents(tenant, { type: 'ROUTING' }, [eventOf(tenant, patient, feeding, 'FEEDING')]);

    const mood = await receiveNext(midwifeLive, () => logMood(ts.url, patient));
    expect(receivedIds(midwifeLive)).toEqual([mood.id]);
    const next = await receiveNext(lactationLive, () => logFeeding(ts.url, patient));
    expect(receivedIds(lactationLive)).toEqual([feeding.id, next.id]);
    expect([...midwifeLive.errors, ...lactationLive.errors]).toEqual([]);
  });
});
