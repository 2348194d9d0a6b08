import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { signIn, TestTenant } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { subscribeLive } from '../helpers/live.js';
import { backend, rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  ALERTS, alertingTeam, alertsOf, createProtocol, historyOf, runDue, screeningProtocolInput, submitEpds, type AlertEventPayload,
} from './alerting-helpers.js';

const MINUTE = 60_000;
/** Tests move the clock by hours: tokens and sessions must outlive that. */
const LONG_SESSIONS = { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3600', CRADLE_SESSION_IDLE_MINUTES: '1440', CRADLE_SESSION_MAX_HOURS: '720' };
const ACK = `mutation($id: ID!) { acknowledgeAlert(id: $id) { id status acknowledgedBy acknowledgedAt } }`;
const RESOLVE = `mutation($id: ID!, $note: String!) { resolveAlert(id: $id, note: $note) { id status } }`;

/** A chain: mental health (10 min), then GP (10 min), then the coordinator as fallback (15 min), run twice. */
const CHAIN = screeningProtocolInput({
  name: 'EPDS watch with a chain',
  condition: 'screening.instrument == "EPDS"',
  severity: 'CRITICAL',
  routeTo: ['MENTAL_HEALTH_SPECIALIST'],
  tiers: [{ role: 'MENTAL_HEALTH_SPECIALIST', minutes: 10 }, { role: 'PRIMARY_CARE_PROVIDER', minutes: 10 }],
  fallbackMinutes: 15,
  repeat: 1,
});

/** The PAGED steps of an alert's history as [step, round, tier]. */
async function pages(ts: TestServer, alertId: string): Promise<number[][]> {
  return (await historyOf(ts, alertId))
    .filter((h) => h['action'] === 'PAGED')
    .map((h) => [Number(h['escalation_step']), Number(h['escalation_round']), Number(h['escalation_tier'])]);
}

describe('durable escalation with a controllable clock', () => {
  const clock = { now: Date.now() };
  let ts: TestServer;
  const clients: Client[] = [];
  const connect = (server: TestServer, token: string): Client => {
    const client = wsClient(server.wsUrl, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ts = await startTestServer({ now: () => clock.now, env: { CRADLE_ALERTING_POLL_MS: '60000', ...LONG_SESSIONS } });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it('pages the next tier after each timeout, then the fallback, then repeats, until acknowledged', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    const protocolId = await createProtocol(ts, team.coordinator, CHAIN);
    const gp = await subscribeLive<AlertEventPayload>(ts, connect(ts, team.gp.token), ALERTS);
    const coordinator = await subscribeLive<AlertEventPayload>(ts, connect(ts, team.coordinator.token), ALERTS);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [alert] = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === protocolId);
    const alertId = alert!['id'] as string;
    expect(await pages(ts, alertId)).toEqual([[0, 0, 0]]);

    clock.now += 9 * MINUTE;
    await runDue(ts);
    expect(await pages(ts, alertId)).toEqual([[0, 0, 0]]);
    expect(gp.received).toHaveLength(0);

    clock.now += 1 * MINUTE + 1000;
    await runDue(ts);
    const [paged] = await gp.waitFor(1);
    expect(paged!.alerts.alert).toMatchObject({ id: alertId, escalationTier: 2, escalationRound: 0, status: 'OPEN' });
    expect(coordinator.received).toHaveLength(0);

    clock.now += 10 * MINUTE + 1000;
    await runDue(ts);
    const [fallback] = await coordinator.waitFor(1);
    expect(fallback!.alerts.alert).toMatchObject({ escalationTier: 3, escalationRound: 0 });

    clock.now += 15 * MINUTE + 1000;
    await runDue(ts);
    expect(await pages(ts, alertId)).toEqual([[0, 0, 0], [1, 0, 1], [2, 0, -1], [3, 1, 0]]);

    const acked = await gqlOk<{ acknowledgeAlert: { status: string; acknowledgedBy: string; acknowledgedAt: string } }>(ts.url, ACK, { id: alertId }, team.gp.token);
    expect(acked.acknowledgeAlert).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedBy: team.gp.id });
    expect(await rawSql(ts, 'select count(*)::int as n from escalation_job where alert_id = ? and done_at is null', [alertId])).toEqual([{ n: 0 }]);

    clock.now += 30 * MINUTE;
    await runDue(ts);
    expect(await pages(ts, alertId)).toHaveLength(4);

    // A second acknowledgement (by someone else, later) changes nothing.
    const again = await gqlOk<{ acknowledgeAlert: { status: string; acknowledgedBy: string; acknowledgedAt: string } }>(
      ts.url, ACK, { id: alertId }, await signIn(ts.url, team.mentalHealth.email),
    );
    expect(again.acknowledgeAlert).toEqual(acked.acknowledgeAlert);
    const history = await historyOf(ts, alertId);
    const acks = history.filter((h) => h['action'] === 'ACKNOWLEDGED');
    expect(acks).toEqual([expect.objectContaining({ actor_id: team.gp.id, actor_role: 'PRIMARY_CARE_PROVIDER' })]);

    // Every step also reaches the audit trail (appended after each commit).
    const audited = async () =>
      rawSql(ts, `select action, actor_id, actor_role from audit_event where patient_id = ? and action like 'ALERT_%' order by seq`, [team.patient.id]);
    for (let i = 0; i < 50 && (await audited()).filter((r) => r['action'] === 'ALERT_ACKNOWLEDGED').length === 0; i++) await quietPeriod(100);
    const trail = await audited();
    expect(trail.filter((r) => r['action'] === 'ALERT_PAGED')).toHaveLength(4);
    expect(trail.filter((r) => r['action'] === 'ALERT_ACKNOWLEDGED')).toEqual([{ action: 'ALERT_ACKNOWLEDGED', actor_id: team.gp.id, actor_role: 'PRIMARY_CARE_PROVIDER' }]);
  });

  it('requires a note to resolve, then closes the alert and stops its chain', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    const protocolId = await createProtocol(ts, team.coordinator, CHAIN);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [alert] = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === protocolId);
    const alertId = alert!['id'] as string;
    const blank = await gql(ts.url, RESOLVE, { id: alertId, note: '   ' }, team.mentalHealth.token);
    expect(errorOf(blank)).toEqual({ code: 'BAD_USER_INPUT', field: 'note' });
    const resolved = await gqlOk<{ resolveAlert: { status: string } }>(ts.url, RESOLVE, { id: alertId, note: 'Called her; safe, plan agreed.' }, team.mentalHealth.token);
    expect(resolved.resolveAlert.status).toBe('RESOLVED');
    clock.now += 30 * MINUTE;
    await runDue(ts);
    expect(await pages(ts, alertId)).toEqual([[0, 0, 0]]);
    const history = await historyOf(ts, alertId);
    expect(history.at(-1)).toMatchObject({ action: 'RESOLVED', actor_id: team.mentalHealth.id, actor_role: 'MENTAL_HEALTH_SPECIALIST' });
    // Resolved, the next match opens a new alert.
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    expect((await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === protocolId).map((a) => a['status'])).toEqual(['RESOLVED', 'OPEN']);
  });

  it('hides an alert from a clinician without access (NOT_FOUND on acknowledge)', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    await submitEpds(ts, team.patient, 1);
    await runDue(ts);
    const critical = (await alertsOf(ts, team.patient.id)).find((a) => a['severity'] === 'CRITICAL')!;
    const denied = await gql(ts.url, ACK, { id: critical['id'] }, team.lactation.token);
    expect(errorOf(denied).code).toBe('NOT_FOUND');
    expect((await alertsOf(ts, team.patient.id)).find((a) => a['id'] === critical['id'])!['status']).toBe('OPEN');
  });
});

describe('escalation across restarts and instances', () => {
  const clock = { now: Date.now() };
  const dirs: string[] = [];
  const servers: TestServer[] = [];
  const clients: Client[] = [];

  /** A server whose database outlives it: a data directory on the embedded default, a kept database on PostgreSQL. */
  async function startRestartable(shareWith?: TestServer): Promise<TestServer> {
    if (shareWith && backend.databaseUrl) {
      const server = await startTestServer({ shareWith, now: () => clock.now });
      servers.push(server);
      return server;
    }
    // The embedded database persists in a directory; the next server opens it with the same keys.
    let env: Record<string, string>;
    if (shareWith) {
      env = { ...shareWith.env, PORT: '0' };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'cradle-alerting-'));
      dirs.push(dir);
      env = { CRADLE_ALERTING_POLL_MS: '60000', CRADLE_IN_MEMORY_DB: 'false', CRADLE_DATA_DIR: dir, ...LONG_SESSIONS };
    }
    const server = await startTestServer({ now: () => clock.now, env });
    servers.push(server);
    return server;
  }

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    for (const server of servers.reverse()) await server.close().catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('fires a page that came due while the server was down once, when a new server starts on the same database', async () => {
    const first = await startRestartable();
    const team = await alertingTeam(await TestTenant.create(first));
    const protocolId = await createProtocol(first, team.coordinator, CHAIN);
    await submitEpds(first, team.patient, 0);
    await runDue(first);
    const [alert] = (await alertsOf(first, team.patient.id)).filter((a) => a['protocol_id'] === protocolId);
    const alertId = alert!['id'] as string;
    expect(await pages(first, alertId)).toEqual([[0, 0, 0]]);
    await first.server.close();

    clock.now += 11 * MINUTE;
    const second = await startRestartable(first);
    // The start pass fires what came due; another pass finds nothing more.
    await runDue(second);
    await runDue(second);
    expect(await pages(second, alertId)).toEqual([[0, 0, 0], [1, 0, 1]]);
    const jobs = await rawSql(second, 'select step_index, done_at is not null as done from escalation_job where alert_id = ? order by step_index', [alertId]);
    expect(jobs).toEqual([{ step_index: 1, done: true }, { step_index: 2, done: false }]);
  }, 180_000);
});

describe('exactly once with two instances', () => {
  const clock = { now: Date.now() };
  let a: TestServer;
  let b: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    // Both instances poll often, so they race for the same events and jobs.
    a = await startTestServer({ now: () => clock.now, env: { CRADLE_ALERTING_POLL_MS: '50', ...LONG_SESSIONS } });
    b = await startTestServer({ shareWith: a, now: () => clock.now, env: { CRADLE_ALERTING_POLL_MS: '50' } });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await b?.close();
    await a?.close();
  });

  it('raises and pages each alert exactly once while both instances evaluate and fire jobs concurrently', async () => {
    const tenants = [await TestTenant.create(a), await TestTenant.create(a)];
    const teams = [];
    for (const tenant of tenants) {
      const team = await alertingTeam(tenant);
      const more = await tenant.patient(team.coordinator, { team: [team.mentalHealth, team.gp], withLogin: true });
      teams.push({ team, patients: [team.patient, more] });
    }
    const client = wsClient(b.wsUrl, teams[0]!.team.mentalHealth.token);
    clients.push(client);
    const live = await subscribeLive<AlertEventPayload>(b, client, ALERTS);
    const writes = teams.flatMap(({ patients }) => patients.flatMap((p, i) => [submitEpds(i % 2 ? b : a, p, 1), submitEpds(i % 2 ? a : b, p, 2)]));
    await Promise.all(writes);
    await Promise.all([runDue(a), runDue(b), runDue(a), runDue(b)]);
    const patientIds = teams.flatMap(({ patients }) => patients.map((p) => p.id));
    const critical = await rawSql(a, `select a.id, a.patient_id from alert a join protocol p on p.id = a.protocol_id where p.built_in_key = 'epds-self-harm'`);
    expect(critical.map((r) => r['patient_id']).sort()).toEqual([...patientIds].sort());
    clock.now += 10 * MINUTE + 1000;
    await Promise.all([runDue(a), runDue(b), runDue(a), runDue(b)]);
    for (const row of critical) {
      const steps = await pages(a, row['id'] as string);
      // Two matches per patient: the second (critical, never suppressed) re-pages step 0; then the timer pages step 1 once.
      expect(steps).toEqual([[0, 0, 0], [0, 0, 0], [1, 0, 1]]);
    }
    const evaluated = await rawSql(a, 'select count(*)::int as n from alert_evidence e join alert a on a.id = e.alert_id join protocol p on p.id = a.protocol_id where p.built_in_key = ?', ['epds-self-harm']);
    expect(evaluated).toEqual([{ n: 8 }]);
    // The subscriber on B got each page of tenant 0's alerts once.
    await live.waitFor(6, 20_000);
    await quietPeriod(500);
    const cursors = live.received.map((e) => e.alerts.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(live.received.filter((e) => e.alerts.alert.severity === 'CRITICAL')).toHaveLength(6);
  }, 180_000);
});
