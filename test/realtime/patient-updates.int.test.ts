import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Channels } from '../../src/realtime/event-bus.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, gqlOk, quietPeriod, wsClient, type Collector } from '../helpers/graphql-client.js';
import { receiveNext, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SUBSCRIBE = `subscription($since: String, $kinds: [StatusKind!]) {
  patientUpdates(since: $since, kinds: $kinds) { cursor update { id kind data patient { id } } }
}`;
const LOG_MOOD = `mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }`;
const LOG_FEEDING = `mutation($input: LogFeedingInput!) { logFeeding(input: $input) { id cursor } }`;
const REMOVE = `mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }`;

/** What a logging mutation returns. */
interface Logged {
  readonly id: string;
  readonly cursor: string;
}

/** One received subscription payload. */
interface LiveEvent {
  patientUpdates: { cursor: string; update: { id: string; kind: string; data: Record<string, unknown>; patient: { id: string } } };
}

/**
 * Reads the tenant sequence number behind a cursor. Cursors are opaque to clients; the test decodes
 * them only to check ordering.
 */
function seqOf(cursor: string): number {
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new Error(`not a status-update cursor: ${cursor}`);
  return Number(match[1]);
}

const cursorsOf = (live: Collector<LiveEvent>) => live.received.map((e) => e.patientUpdates.cursor);
const idsOf = (live: Collector<LiveEvent>) => live.received.map((e) => e.patientUpdates.update.id);

describe('patientUpdates subscription', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let midwife: TestUser;
  let outsider: TestUser;
  let patient: TestPatient;

  const clients: Client[] = [];
  const connect = (token: string): Client => {
    const client = wsClient(ts.wsUrl, token);
    clients.push(client);
    return client;
  };
  const logMood = async (p: TestPatient, score = 3): Promise<Logged> =>
    (await gqlOk<{ logMood: Logged }>(ts.url, LOG_MOOD, { input: { patientId: p.id, score } }, p.user!.token)).logMood;
  const logFeeding = async (p: TestPatient): Promise<Logged> =>
    (await gqlOk<{ logFeeding: Logged }>(ts.url, LOG_FEEDING, { input: { patientId: p.id, infantId: p.infantId, method: 'BREAST', durationMinutes: 15 } }, p.user!.token))
      .logFeeding;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    outsider = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it('delivers a logged mood live to a care-team member over graphql-ws', async () => {
    const client = wsClient(ts.wsUrl, midwife.token);
    const live = await subscribeLive(ts, client, SUBSCRIBE);
    const logged = await gqlOk<{ logMood: { id: string; cursor: string } }>(ts.url, LOG_MOOD, { input: { patientId: patient.id, score: 1 } }, patient.user!.token);
    const [event] = await live.waitFor(1);
    expect(event).toMatchObject({
      patientUpdates: { cursor: logged.logMood.cursor, update: { id: logged.logMood.id, kind: 'MOOD', data: { score: 1 }, patient: { id: patient.id } } },
    });
    live.stop();
    await client.dispose();
  });

  it('delivers nothing to a clinician who is not on the care team, and her own patient\'s update after it', async () => {
    const own = await tenant.patient(coordinator, { team: [outsider], withLogin: true });
    const client = wsClient(ts.wsUrl, outsider.token);
    const live = await subscribeLive<LiveEvent>(ts, client, SUBSCRIBE);
    const withheld = await logMood(patient, 2);
    const entitled = await receiveNext(live, () => logMood(own, 2));
    expect(idsOf(live)).toEqual([entitled.id]);
    expect(idsOf(live)).not.toContain(withheld.id);
    expect(live.errors).toEqual([]);
    live.stop();
    await client.dispose();
  });

  it('stops delivering to a clinician removed from the care team while her socket keeps another patient live', async () => {
    const gp = await tenant.user('PRIMARY_CARE_PROVIDER');
    const removedFrom = await tenant.patient(coordinator, { team: [gp], withLogin: true });
    const stillCaredFor = await tenant.patient(coordinator, { team: [gp], withLogin: true });
    const baseline = await logMood(stillCaredFor);
    const live = collect<LiveEvent>(connect(gp.token), SUBSCRIBE, { since: baseline.cursor });
    const warmUp = [await logMood(removedFrom, 4), await logMood(stillCaredFor, 4)];
    await live.waitFor(2);
    expect(idsOf(live)).toEqual(warmUp.map((u) => u.id));

    await gqlOk(ts.url, REMOVE, { p: removedFrom.id, u: gp.id }, coordinator.token);
    const afterRemoval = await logMood(removedFrom, 1);
    const other = await logMood(stillCaredFor, 2);
    await live.waitFor(3);
    await quietPeriod(1000);
    expect(idsOf(live)).toEqual([...warmUp.map((u) => u.id), other.id]);
    expect(idsOf(live)).not.toContain(afterRemoval.id);
    expect(live.errors).toEqual([]);
  });

  it('replays exactly the updates missed while disconnected, in order, then goes live without duplicates', async () => {
    const mw = await tenant.user('MIDWIFE');
    const p = await tenant.patient(coordinator, { team: [mw], withLogin: true });
    const baseline = await logMood(p);
    const firstClient = connect(mw.token);
    const first = collect<LiveEvent>(firstClient, SUBSCRIBE, { since: baseline.cursor });
    const seen = [await logMood(p, 1), await logMood(p, 2), await logMood(p, 3)];
    await first.waitFor(3);
    expect(cursorsOf(first)).toEqual(seen.map((u) => u.cursor));
    await firstClient.dispose();

    const missed: Logged[] = [];
    for (const score of [4, 5, 1, 2]) missed.push(await logMood(p, score));
    const resumed = collect<LiveEvent>(connect(mw.token), SUBSCRIBE, { since: cursorsOf(first).at(-1) });
    await resumed.waitFor(missed.length);
    expect(cursorsOf(resumed)).toEqual(missed.map((u) => u.cursor));

    const liveAfter = [await logMood(p, 3), await logMood(p, 4)];
    await resumed.waitFor(missed.length + liveAfter.length);
    await quietPeriod(500);
    expect(cursorsOf(resumed)).toEqual([...missed, ...liveAfter].map((u) => u.cursor));
    expect(resumed.received.map((e) => e.patientUpdates.update.data['score'])).toEqual([4, 5, 1, 2, 3, 4]);
    expect(resumed.errors).toEqual([]);
  });

  it('switches from replay to live with no gap and no duplicate while updates are being logged', async () => {
    const mw = await tenant.user('MIDWIFE');
    const p = await tenant.patient(coordinator, { team: [mw], withLogin: true });
    const since = await logMood(p);
    const during = Array.from({ length: 20 }, (_, i) => logMood(p, (i % 5) + 1));
    const live = collect<LiveEvent>(connect(mw.token), SUBSCRIBE, { since: since.cursor });
    const after = Array.from({ length: 20 }, (_, i) => logMood(p, (i % 5) + 1));
    const logged = await Promise.all([...during, ...after]);
    await live.waitFor(logged.length, 15_000);
    await quietPeriod(500);

    const seqs = cursorsOf(live).map(seqOf);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(logged.map((u) => seqOf(u.cursor)).sort((a, b) => a - b));
    expect(seqs[0]).toBeGreaterThan(seqOf(since.cursor));
    expect(live.errors).toEqual([]);
  });

  it('routes FEEDING but never MOOD to a LACTATION_CONSULTANT on the team, live or replayed', async () => {
    const lc = await tenant.user('LACTATION_CONSULTANT');
    const p = await tenant.patient(coordinator, { team: [lc], withLogin: true });
    const baseline = await logFeeding(p);
    const live = collect<LiveEvent>(connect(lc.token), SUBSCRIBE, { since: baseline.cursor });
    const feedings: Logged[] = [];
    for (let i = 0; i < 2; i++) {
      await logMood(p, 1);
      feedings.push(await logFeeding(p));
      await logMood(p, 2);
    }
    await live.waitFor(feedings.length);
    await quietPeriod(1000);
    expect(idsOf(live)).toEqual(feedings.map((u) => u.id));
    expect(live.received.every((e) => e.patientUpdates.update.kind === 'FEEDING')).toBe(true);
    expect(live.errors).toEqual([]);

    const replayed = collect<LiveEvent>(connect(lc.token), SUBSCRIBE, { since: baseline.cursor });
    await replayed.waitFor(feedings.length);
    await quietPeriod(500);
    expect(idsOf(replayed)).toEqual(feedings.map((u) => u.id));
  });

  it('publishes each logged update on the bus once, not again on every relay pass', async () => {
    const published: number[] = [];
    const unsubscribe = await ts.server.services.bus.subscribe(Channels.tenantEvents(tenant.id), (message) => {
      published.push(...(JSON.parse(message) as { seq: number }[]).map((event) => event.seq));
    });
    try {
      const logged = [await logMood(patient, 1), await logMood(patient, 2), await logMood(patient, 3)];
      await quietPeriod(1000);
      await ts.server.services.relay.flush();
      const mine = logged.map((u) => seqOf(u.cursor));
      expect(published.filter((seq) => mine.includes(seq))).toEqual(mine);
      expect(ts.logs.filter((line) => line.includes('outbox relay could not publish'))).toEqual([]);
    } finally {
      await unsubscribe();
    }
  });

  it('closes a connection whose connection_init carries no valid token with 4401', async () => {
    const [header, payload, signature] = midwife.token.split('.') as [string, string, string];
    const tampered = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    for (const authorization of [undefined, 'Bearer ', 'Bearer not-a-token', `Bearer ${tampered}`]) {
      const closed = new Promise<number>((resolve, reject) => {
        setTimeout(() => reject(new Error(`not closed within 5 s for ${String(authorization)}`)), 5000).unref();
        const client = createClient({
          url: ts.wsUrl,
          webSocketImpl: WebSocket,
          connectionParams: authorization === undefined ? {} : { authorization },
          lazy: true,
          retryAttempts: 0,
          on: { closed: (event) => resolve((event as { code: number }).code) },
        });
        clients.push(client);
        collect(client, SUBSCRIBE);
      });
      expect({ authorization, code: await closed }).toEqual({ authorization, code: 4401 });
    }
  });
});
