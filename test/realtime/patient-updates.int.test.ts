import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SUBSCRIBE = `subscription($since: String, $kinds: [StatusKind!]) {
  patientUpdates(since: $since, kinds: $kinds) { cursor update { id kind data patient { id } } }
}`;
const LOG_MOOD = `mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }`;

describe('patientUpdates subscription', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let midwife: TestUser;
  let outsider: TestUser;
  let patient: TestPatient;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    outsider = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('delivers a logged mood live to a care-team member over graphql-ws', async () => {
    const client = wsClient(ts.wsUrl, midwife.token);
    const live = collect(client, SUBSCRIBE);
    await quietPeriod(300);
    const logged = await gqlOk<{ logMood: { id: string; cursor: string } }>(ts.url, LOG_MOOD, { input: { patientId: patient.id, score: 1 } }, patient.user!.token);
    const [event] = await live.waitFor(1);
    expect(event).toMatchObject({
      patientUpdates: { cursor: logged.logMood.cursor, update: { id: logged.logMood.id, kind: 'MOOD', data: { score: 1 }, patient: { id: patient.id } } },
    });
    live.stop();
    await client.dispose();
  });

  it('delivers nothing to a clinician who is not on the care team', async () => {
    const client = wsClient(ts.wsUrl, outsider.token);
    const live = collect(client, SUBSCRIBE);
    await quietPeriod(300);
    await gqlOk(ts.url, LOG_MOOD, { input: { patientId: patient.id, score: 2 } }, patient.user!.token);
    await quietPeriod(1000);
    expect(live.received).toEqual([]);
    expect(live.errors).toEqual([]);
    live.stop();
    await client.dispose();
  });
});
