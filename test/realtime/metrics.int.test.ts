import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logFeeding, logMood, PATIENT_UPDATES, receivedIds, subscribeLive } from '../helpers/live.js';
import { scrapeMetrics, startTestServer, type TestServer } from '../helpers/test-server.js';

/** Reads one sample of a Prometheus text exposition (without labels unless given). */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

describe('metrics, on the internal listener', () => {
  let ts: TestServer;
  let midwife: TestUser;
  let midwife2: TestUser;
  let lactation: TestUser;
  let patient: TestPatient;

  beforeAll(async () => {
    ts = await startTestServer();
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    midwife2 = await tenant.user('MIDWIFE');
    lactation = await tenant.user('LACTATION_CONSULTANT');
    patient = await tenant.patient(coordinator, { team: [midwife, midwife2, lactation], withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  const scrape = async () => {
    const res = await fetch(ts.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  /** Scrapes until `done` holds of the text (the server counts a close when it sees it), for at most 5 s. */
  const scrapeUntil = async (done: (text: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const text = await scrapeMetrics(ts);
      if (done(text)) return text;
      if (Date.now() > deadline) throw new Error(`the metrics never reached the expected state:\n${text}`);
      await quietPeriod(20);
    }
  };

  it('counts sockets, subscriptions, published and delivered events, and delivery lag', async () => {
    const before = await scrape();
    const client = wsClient(ts.wsUrl, midwife.token);
    const live = await subscribeLive(ts, client, PATIENT_UPDATES);
    await logMood(ts.url, patient, 2);
    await live.waitFor(1);
    await ts.server.services.relay.flush();
    const after = await scrape();
    expect(sample(after, 'cradle_ws_connections')).toBe(1);
    expect(sample(after, 'cradle_live_subscriptions')).toBe(1);
    expect(sample(after, 'cradle_events_published_total') - sample(before, 'cradle_events_published_total')).toBe(1);
    expect(sample(after, 'cradle_events_delivered_total{kind="MOOD"}')).toBe(1);
    expect(sample(after, 'cradle_delivery_lag_seconds_count')).toBe(1);
    expect(sample(after, 'cradle_slow_consumers_dropped_total')).toBe(0);
    live.stop();
    await client.dispose();
    const closed = await scrapeUntil((text) => sample(text, 'cradle_ws_connections') === 0 && sample(text, 'cradle_live_subscriptions') === 0);
    expect(sample(closed, 'cradle_ws_connections')).toBe(0);
    expect(sample(closed, 'cradle_live_subscriptions')).toBe(0);
  });

  it('executes an event once for subscribers with the same operation and grant, and separately for a different grant', async () => {
    const subscribers = [];
    for (const user of [midwife, midwife, midwife2, lactation]) {
      const client = wsClient(ts.wsUrl, user.token);
      subscribers.push({ client, live: await subscribeLive(ts, client, PATIENT_UPDATES) });
    }
    const before = await scrape();
    const logged = await logFeeding(ts.url, patient);
    for (const { live } of subscribers) expect(receivedIds(await live.waitFor(1).then(() => live))).toEqual([logged.id]);
    const after = await scrape();
    // Three midwife subscriptions share one execution; the lactation consultant's grant differs.
    expect(sample(after, 'cradle_live_executions_total') - sample(before, 'cradle_live_executions_total')).toBe(2);
    // And its JSON: serialised once per execution, not once per subscriber.
    expect(sample(after, 'cradle_live_payload_serialisations_total') - sample(before, 'cradle_live_payload_serialisations_total')).toBe(2);
    const [first, ...others] = subscribers.slice(0, 3).map(({ live }) => JSON.stringify(live.received[0]));
    for (const other of others) expect(other).toEqual(first);
    for (const { client, live } of subscribers) {
      live.stop();
      await client.dispose();
    }
  });

  it('exposes no ids or other patient data', async () => {
    const text = await scrape();
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(text).not.toContain(patient.id);
  });
});
