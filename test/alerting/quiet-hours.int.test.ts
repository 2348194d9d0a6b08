import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { signIn, TestTenant } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { subscribeLive } from '../helpers/live.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';
import {
  ALERTS, alertingTeam, alertsOf, createProtocol, historyOf, runDue, screeningProtocolInput, submitEpds, type AlertEventPayload,
} from './alerting-helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Tests move the clock by hours: sessions must outlive that (tokens are taken anew after a jump). */
const LONG_SESSIONS = { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3600', CRADLE_SESSION_IDLE_MINUTES: '1440', CRADLE_SESSION_MAX_HOURS: '720' };
const SET = `mutation($input: QuietHoursInput) { setQuietHours(input: $input) { start end timeZone } }`;
const NIGHT = { start: '22:00', end: '07:00', timeZone: 'UTC' };
/** The last 23:00 UTC before now: inside the night window. */
const START = Math.floor((Date.now() - 23 * HOUR) / (24 * HOUR)) * 24 * HOUR + 23 * HOUR;
/** 07:00 UTC after {@link START}, when the window ends. */
const MORNING = START + 8 * HOUR;

/** A WARNING protocol on every EPDS, paging the mental-health specialist (10 min), then the coordinator. */
const WARNING_WATCH = screeningProtocolInput({
  name: 'EPDS watch (warning)',
  condition: 'screening.instrument == "EPDS"',
  severity: 'WARNING',
  routeTo: ['MENTAL_HEALTH_SPECIALIST'],
  tiers: [{ role: 'MENTAL_HEALTH_SPECIALIST', minutes: 10 }],
});

describe('quiet hours', () => {
  let ts: TestServer;
  let clock: { now: number };
  const clients: Client[] = [];
  const connect = (token: string): Client => {
    const client = wsClient(ts.wsUrl, token);
    clients.push(client);
    return client;
  };
  const actions = async (alertId: string) => (await historyOf(ts, alertId)).map((h) => h['action']);
  const pendingJobs = (alertId: string) =>
    rawSql(ts, 'select step_index, due_at from escalation_job where alert_id = ? and done_at is null order by due_at', [alertId]).then((rows) =>
      rows.map((r) => [Number(r['step_index']), new Date(r['due_at'] as string).getTime()]),
    );

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(START, { env: { CRADLE_ALERTING_POLL_MS: '60000', ...LONG_SESSIONS } }));
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it('holds a non-critical page until the quiet hours end, then pages and runs the chain from there', async () => {
    clock.now = START;
    const team = await alertingTeam(await TestTenant.create(ts));
    expect((await gqlOk<{ setQuietHours: unknown }>(ts.url, SET, { input: NIGHT }, team.coordinator.token)).setQuietHours).toEqual(NIGHT);
    const protocolId = await createProtocol(ts, team.coordinator, WARNING_WATCH);
    const specialist = await subscribeLive<AlertEventPayload>(ts, connect(team.mentalHealth.token), ALERTS);

    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [alert] = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === protocolId);
    const alertId = alert!['id'] as string;
    expect(await actions(alertId)).toEqual(['RAISED', 'PAGE_DEFERRED']);
    expect(await pendingJobs(alertId)).toEqual([[0, MORNING]]);
    await quietPeriod(300);
    expect(specialist.received).toHaveLength(0);

    clock.now = MORNING - MINUTE;
    await runDue(ts);
    expect(await actions(alertId)).toEqual(['RAISED', 'PAGE_DEFERRED']);

    clock.now = MORNING;
    // A dashboard opened this morning (the night's token has expired by the server's clock).
    const morning = await subscribeLive<AlertEventPayload>(ts, connect(await signIn(ts.url, team.mentalHealth.email)), ALERTS);
    await runDue(ts);
    const [paged] = await morning.waitFor(1);
    expect(paged!.alerts).toMatchObject({ action: 'PAGED', alert: { id: alertId, severity: 'WARNING', escalationTier: 1 } });
    expect(await actions(alertId)).toEqual(['RAISED', 'PAGE_DEFERRED', 'PAGED']);
    expect(await pendingJobs(alertId)).toEqual([[1, MORNING + 10 * MINUTE]]);
  });

  it('never holds a critical page', async () => {
    clock.now = START + HOUR;
    const team = await alertingTeam(await TestTenant.create(ts));
    await gqlOk(ts.url, SET, { input: NIGHT }, team.coordinator.token);
    const specialist = await subscribeLive<AlertEventPayload>(ts, connect(team.mentalHealth.token), ALERTS);
    await submitEpds(ts, team.patient, 3);
    await runDue(ts);
    const [paged] = await specialist.waitFor(1);
    expect(paged!.alerts).toMatchObject({ action: 'PAGED', alert: { severity: 'CRITICAL' } });
    const [alert] = await alertsOf(ts, team.patient.id);
    expect(await actions(alert!['id'] as string)).toEqual(['RAISED', 'PAGED']);
  });

  it('holds the next tier when its timeout falls inside the quiet hours', async () => {
    clock.now = START - HOUR - 5 * MINUTE;
    const team = await alertingTeam(await TestTenant.create(ts));
    await gqlOk(ts.url, SET, { input: NIGHT }, team.coordinator.token);
    const protocolId = await createProtocol(ts, team.coordinator, WARNING_WATCH);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [alert] = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === protocolId);
    const alertId = alert!['id'] as string;
    expect(await actions(alertId)).toEqual(['RAISED', 'PAGED']);

    clock.now = START - HOUR + 5 * MINUTE;
    await runDue(ts);
    expect(await actions(alertId)).toEqual(['RAISED', 'PAGED', 'PAGE_DEFERRED']);
    expect(await pendingJobs(alertId)).toEqual([[1, MORNING]]);
  });

  it('lets ADMIN and CARE_COORDINATOR read, set and clear the quiet hours, refuses others, and refuses a bad window changing nothing', async () => {
    clock.now = START;
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const midwife = await tenant.user('MIDWIFE');
    await gqlOk(ts.url, SET, { input: NIGHT }, tenant.admin.token);
    expect((await gqlOk<{ quietHours: unknown }>(ts.url, '{ quietHours { start end timeZone } }', {}, coordinator.token)).quietHours).toEqual(NIGHT);

    for (const [input, field] of [
      [{ ...NIGHT, start: '25:00' }, 'input.start'],
      [{ ...NIGHT, end: '22:00' }, 'input.end'],
      [{ ...NIGHT, timeZone: 'Nowhere/Special' }, 'input.timeZone'],
    ] as const) {
      expect(errorOf(await gql(ts.url, SET, { input }, coordinator.token))).toEqual({ code: 'BAD_USER_INPUT', field });
    }
    expect(errorOf(await gql(ts.url, SET, { input: null }, midwife.token)).code).toBe('FORBIDDEN');
    expect(errorOf(await gql(ts.url, '{ quietHours { start } }', {}, midwife.token)).code).toBe('FORBIDDEN');
    expect((await gqlOk<{ quietHours: unknown }>(ts.url, '{ quietHours { start end timeZone } }', {}, tenant.admin.token)).quietHours).toEqual(NIGHT);

    expect((await gqlOk<{ setQuietHours: unknown }>(ts.url, SET, { input: null }, coordinator.token)).setQuietHours).toBeNull();
    expect((await gqlOk<{ quietHours: unknown }>(ts.url, '{ quietHours { start } }', {}, tenant.admin.token)).quietHours).toBeNull();
  });
});
