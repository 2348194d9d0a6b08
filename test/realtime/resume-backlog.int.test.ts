import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receivedCursors, receivedIds, seqOf, type LiveEvent, type Logged } from '../helpers/live.js';
import { scrapeMetrics, startTestServer, type TestServer } from '../helpers/test-server.js';

/** The smallest send buffer the configuration allows: a backlog a few times larger must still resume. */
const BUFFER = 10;
const BACKLOG = 4 * BUFFER + 3;

async function slowConsumersDropped(ts: TestServer): Promise<number> {
  const text = await scrapeMetrics(ts);
  return Number(/^cradle_slow_consumers_dropped_total (\S+)$/m.exec(text)?.[1]);
}

/**
 * Regression (fault suite, subscriber-stall): a `since` replay pushed the whole backlog into the
 * subscriber's bounded send buffer before anyone could read it, so a subscriber more than
 * `CRADLE_LIVE_BUFFER_EVENTS` events behind was cut off with 4413 on every attempt to resume and
 * never caught up. The replay must be paced by the reader instead.
 */
describe('resuming a backlog larger than the live send buffer', () => {
  let ts: TestServer;
  let midwife: TestUser;
  let patient: TestPatient;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_LIVE_BUFFER_EVENTS: String(BUFFER), CRADLE_LIVE_MAX_LAG_MS: '5000' } });
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('replays every missed event in cursor order, paced by the reader, without a 4413 cut-off', async () => {
    const start = await logMood(ts.url, patient);
    const backlog: Logged[] = [];
    for (let i = 0; i < BACKLOG; i++) backlog.push(await logMood(ts.url, patient));
    const dropped = await slowConsumersDropped(ts);

    const closes: number[] = [];
    const client = wsClient(ts.wsUrl, midwife.token, (code) => closes.push(code));
    const resumed = collect<LiveEvent>(client, PATIENT_UPDATES, { since: start.cursor });
    await resumed.waitFor(BACKLOG, 30_000);

    expect(resumed.errors).toEqual([]);
    expect(closes).toEqual([]);
    expect(receivedIds(resumed)).toEqual(backlog.map((w) => w.id));
    expect(await slowConsumersDropped(ts)).toBe(dropped);
    await client.dispose();
  }, 60_000);

  it('switches from a long replay to live with no gap and no duplicate while writes continue', async () => {
    const start = await logMood(ts.url, patient);
    const written: Logged[] = [];
    for (let i = 0; i < BACKLOG; i++) written.push(await logMood(ts.url, patient));

    const client = wsClient(ts.wsUrl, midwife.token);
    const resumed = collect<LiveEvent>(client, PATIENT_UPDATES, { since: start.cursor });
    // Writes race the replay and the switch to live.
    for (let i = 0; i < BACKLOG; i++) written.push(await logMood(ts.url, patient));
    await resumed.waitFor(written.length, 30_000);
    await quietPeriod(300);

    expect(resumed.errors).toEqual([]);
    expect(receivedIds(resumed)).toEqual(written.map((w) => w.id));
    const seqs = receivedCursors(resumed).map(seqOf);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await client.dispose();
  }, 60_000);
});
