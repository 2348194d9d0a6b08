import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant } from '../helpers/builders.js';
import { gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logFeeding, subscribeLive } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  ALERTS, alertingTeam, alertsOf, createProtocol, historyOf, runDue, screeningProtocolInput, submitEpds, type AlertEventPayload, type AlertingTeam,
} from './alerting-helpers.js';

/** Subscribes to `alerts` and resolves with the error codes of the refusal (or fails if an event arrives instead). */
function refusalOf(client: Client): Promise<Array<string | undefined>> {
  return new Promise((resolve, reject) => {
    client.subscribe({ query: ALERTS }, {
      next: (value) => (value.errors ? resolve(value.errors.map((e) => e.extensions?.['code'] as string | undefined)) : reject(new Error('an alert event arrived'))),
      error: (err) => (Array.isArray(err) ? resolve(err.map((e: { extensions?: { code?: string } }) => e.extensions?.code)) : reject(err)),
      complete: () => reject(new Error('the subscription completed without a refusal')),
    });
  });
}

describe('alerts raised from logged updates', () => {
  let ts: TestServer;
  const clients: Client[] = [];
  const connect = (token: string): Client => {
    const client = wsClient(ts.wsUrl, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    // Tests drive the worker with runDue(); the poll only backs them up. Each test uses its own tenant
    // (protocols are tenant-wide).
    ts = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000' } });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it('delivers a CRITICAL EPDS self-harm alert to the mental-health specialist and not to the lactation consultant', async () => {
    const team: AlertingTeam = await alertingTeam(await TestTenant.create(ts));
    const specialist = await subscribeLive<AlertEventPayload>(ts, connect(team.mentalHealth.token), ALERTS);
    const lactation = await subscribeLive<AlertEventPayload>(ts, connect(team.lactation.token), ALERTS);
    const patientRefusal = refusalOf(connect(team.patient.user!.token));
    const updateId = await submitEpds(ts, team.patient, 2);
    await runDue(ts);
    const [event] = await specialist.waitFor(1);
    expect(event!.alerts.action).toBe('PAGED');
    expect(event!.alerts.alert).toMatchObject({
      severity: 'CRITICAL',
      status: 'OPEN',
      protocolVersion: 1,
      escalationTier: 1,
      escalationRound: 0,
      incompleteData: false,
      evidence: [{ id: updateId, kind: 'SCREENING' }],
    });
    expect(event!.alerts.alert.protocol.name).toMatch(/EPDS self-harm/);
    await quietPeriod(400);
    expect(lactation.received).toHaveLength(0);
    expect(specialist.received).toHaveLength(1);
    // The patient may not subscribe to clinician alerts at all.
    expect(await patientRefusal).toEqual(['FORBIDDEN']);
    const messages = await gqlOk<{ mySafetyMessages: Array<{ template: string; text: string }> }>(
      ts.url, '{ mySafetyMessages { template text } }', {}, team.patient.user!.token,
    );
    expect(messages.mySafetyMessages.map((m) => m.template)).toEqual(['CRISIS_LINE']);
    const tasks = await rawSql(ts, 'select title, assigned_role, status from follow_up_task where patient_id = ?', [team.patient.id]);
    expect(tasks).toEqual([{ title: 'Immediate suicide-risk assessment', assigned_role: 'MENTAL_HEALTH_SPECIALIST', status: 'OPEN' }]);
  });

  it('attaches a repeated match as evidence, announced live without paging again, and a higher severity breaks through', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    const protocolId = await createProtocol(ts, team.coordinator, screeningProtocolInput({
      name: 'EPDS any answer',
      condition: 'screening.instrument == "EPDS"',
      severity: 'INFO',
      routeTo: ['PRIMARY_CARE_PROVIDER'],
      tiers: [{ role: 'PRIMARY_CARE_PROVIDER', minutes: 30 }],
    }));
    const gpFeed = await subscribeLive<AlertEventPayload>(ts, connect(team.gp.token), ALERTS);
    const first = await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    await gpFeed.waitFor(1);
    const second = await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [paged, added] = await gpFeed.waitFor(2);
    expect(paged!.alerts.action).toBe('PAGED');
    expect(added!.alerts.action).toBe('EVIDENCE_ADDED');
    expect(added!.alerts.alert).toMatchObject({ id: paged!.alerts.alert.id, severity: 'INFO', status: 'OPEN', escalationTier: paged!.alerts.alert.escalationTier });
    expect(added!.alerts.alert.evidence.map((e) => e.id).sort()).toEqual([first, second].sort());
    const alerts = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === protocolId);
    expect(alerts).toHaveLength(1);
    const history = await historyOf(ts, alerts[0]!['id'] as string);
    expect(history.map((h) => h['action'])).toEqual(['RAISED', 'PAGED', 'EVIDENCE_ADDED']);
    // The chain's timer was left as it was: one pending page (the fallback), none added or restarted.
    expect(await rawSql(ts, 'select step_index from escalation_job where alert_id = ? and done_at is null', [alerts[0]!['id']])).toEqual([{ step_index: 1 }]);
    const evidence = await rawSql(ts, 'select status_update_id from alert_evidence where alert_id = ?', [alerts[0]!['id']]);
    expect(evidence.map((e) => e['status_update_id']).sort()).toEqual([first, second].sort());

    // A new version at a higher severity: the open alert is raised and paged again.
    await gqlOk(ts.url, 'mutation($id: ID!, $input: UpdateProtocolInput!) { updateProtocol(id: $id, input: $input) { id } }', {
      id: protocolId,
      input: { severity: 'WARNING', changeNote: 'More urgent' },
    }, team.coordinator.token);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [, , raised] = await gpFeed.waitFor(3);
    expect(raised!.alerts.alert).toMatchObject({ id: alerts[0]!['id'], severity: 'WARNING', status: 'OPEN', protocolVersion: 1 });
    expect((await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === protocolId)).toHaveLength(1);
  });

  it('routes a mental-health alert to the lactation consultant only once the patient shares mental-health data, on a subscription already open too', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    await createProtocol(ts, team.coordinator, screeningProtocolInput({
      name: 'Screening for feeding team',
      condition: 'screening.instrument == "EPDS"',
      severity: 'CRITICAL',
      routeTo: ['LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST'],
      tiers: [{ role: 'LACTATION_CONSULTANT', minutes: 10 }],
    }));
    const lactation = await subscribeLive<AlertEventPayload>(ts, connect(team.lactation.token), ALERTS);
    const specialist = await subscribeLive<AlertEventPayload>(ts, connect(team.mentalHealth.token), ALERTS);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [before] = await specialist.waitFor(1);

    await gqlOk(ts.url, 'mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }', {
      input: { patientId: team.patient.id, type: 'DATA_SHARING', categories: ['MENTAL_HEALTH'], version: 'v1' },
    }, team.patient.user!.token);
    const shared = await subscribeLive<AlertEventPayload>(ts, connect(team.lactation.token), ALERTS);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [event] = await shared.waitFor(1);
    expect(event!.alerts.alert.severity).toBe('CRITICAL');
    // The subscription open since before the consent was re-checked: it gets the page after the
    // consent, and (events arriving in cursor order) nothing from before it.
    const [first] = await lactation.waitFor(1);
    expect(first!.alerts.cursor).toBe(event!.alerts.cursor);
    expect(lactation.received.map((e) => e.alerts.cursor)).not.toContain(before!.alerts.cursor);
  });

  it('stops delivering alerts on an open subscription once the patient narrows her consent', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    const consent = (categories: string[]) =>
      gqlOk<{ grantConsent: { id: string } }>(ts.url, 'mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }', {
        input: { patientId: team.patient.id, type: 'CARE_COORDINATION', categories, version: 'v1' },
      }, team.patient.user!.token);
    const broad = await consent(['MENTAL_HEALTH', 'FEEDING']);
    const screeningRule = await createProtocol(ts, team.coordinator, screeningProtocolInput({
      name: 'EPDS for the coordinator', condition: 'screening.instrument == "EPDS"', routeTo: ['CARE_COORDINATOR'], tiers: [{ role: 'CARE_COORDINATOR', minutes: 10 }],
    }));
    const feedRule = await createProtocol(ts, team.coordinator, {
      ...screeningProtocolInput({ name: 'Feeds for the coordinator', condition: 'feeding.durationMinutes >= 0.0', routeTo: ['CARE_COORDINATOR'], tiers: [{ role: 'CARE_COORDINATOR', minutes: 10 }] }),
      trigger: { kinds: ['FEEDING'] },
    });
    const coordinator = await subscribeLive<AlertEventPayload>(ts, connect(team.coordinator.token), ALERTS);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const [delivered] = await coordinator.waitFor(1);
    expect(delivered!.alerts.alert.protocol.id).toBe(screeningRule);
    const [alert] = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === screeningRule);
    await gqlOk(ts.url, 'mutation($id: ID!, $note: String!) { resolveAlert(id: $id, note: $note) { id } }', { id: alert!['id'], note: 'Seen' }, team.mentalHealth.token);
    await coordinator.waitFor(2);

    await consent(['FEEDING']);
    await gqlOk(ts.url, 'mutation($id: ID!) { revokeConsent(id: $id) { id } }', { id: broad.grantConsent.id }, team.patient.user!.token);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    // A feed after it raises an alert she still may see: once it arrives, the screening alert would have.
    await logFeeding(ts.url, team.patient);
    await runDue(ts);
    await coordinator.waitFor(3);
    expect(coordinator.received.map((e) => [e.alerts.alert.protocol.id, e.alerts.action])).toEqual([
      [screeningRule, 'PAGED'], [screeningRule, 'RESOLVED'], [feedRule, 'PAGED'],
    ]);
    expect((await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === screeningRule)).toHaveLength(2);
  });

  it('stops delivering alerts to a clinician removed from the care team', async () => {
    const tenant = await TestTenant.create(ts);
    const team = await alertingTeam(tenant);
    const stillCaredFor = await tenant.patient(team.coordinator, { team: [team.mentalHealth], withLogin: true });
    const specialist = await subscribeLive<AlertEventPayload>(ts, connect(team.mentalHealth.token), ALERTS);
    await gqlOk(ts.url, 'mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }', { p: team.patient.id, u: team.mentalHealth.id }, team.coordinator.token);
    await submitEpds(ts, team.patient, 3);
    await runDue(ts);
    // The positive control, raised after: once its page arrives, one for the removed patient would have.
    await submitEpds(ts, stillCaredFor, 3);
    await runDue(ts);
    const [event] = await specialist.waitFor(1);
    const alertIds = async (patientId: string) => (await alertsOf(ts, patientId)).map((a) => a['id']);
    expect(await alertIds(stillCaredFor.id)).toContain(event!.alerts.alert.id);
    const removedFrom = await alertIds(team.patient.id);
    expect(removedFrom.length).toBeGreaterThan(0);
    expect(specialist.received.filter((e) => removedFrom.includes(e.alerts.alert.id))).toEqual([]);
  });

  it('replays alert changes after a cursor, then goes live, with no gap and no duplicate while alerts are raised', async () => {
    const tenant = await TestTenant.create(ts);
    const team = await alertingTeam(tenant);
    const others = [];
    for (let i = 0; i < 3; i++) others.push(await tenant.patient(team.coordinator, { team: [team.mentalHealth], withLogin: true }));
    const control = await subscribeLive<AlertEventPayload>(ts, connect(team.mentalHealth.token), ALERTS);
    await submitEpds(ts, team.patient, 1);
    await runDue(ts);
    const [first] = await control.waitFor(1);
    // Alerts keep being raised (and acknowledged) while a second subscription resumes from the first cursor.
    const producing = (async () => {
      for (const patient of others) {
        await submitEpds(ts, patient, 2);
        await runDue(ts);
      }
      const open = await gqlOk<{ alerts: { edges: Array<{ node: { id: string } }> } }>(ts.url, '{ alerts(status: OPEN, first: 1) { edges { node { id } } } }', {}, team.mentalHealth.token);
      await gqlOk(ts.url, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: open.alerts.edges[0]!.node.id }, team.mentalHealth.token);
    })();
    const resumed = await subscribeLive<AlertEventPayload>(ts, connect(team.mentalHealth.token), ALERTS, { since: first!.alerts.cursor });
    await producing;
    await control.waitFor(5);
    await resumed.waitFor(4);
    await submitEpds(ts, team.patient, 3);
    await runDue(ts);
    await control.waitFor(6);
    await resumed.waitFor(5);
    await quietPeriod(400);
    const cursors = (events: AlertEventPayload[]) => events.map((e) => e.alerts.cursor);
    expect(cursors(resumed.received)).toEqual(cursors(control.received).slice(1));
    expect(control.received.map((e) => e.alerts.action)).toContain('ACKNOWLEDGED');
    expect(new Set(cursors(control.received)).size).toBe(control.received.length);
  });

  it('lists alerts by status for clinicians whose access covers them, and hides them from others', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    await submitEpds(ts, team.patient, 1);
    await runDue(ts);
    const list = `query($s: AlertStatus) { alerts(status: $s, first: 10) { edges { node { id severity patient { id } } } pageInfo { hasNextPage } } }`;
    const mine = await gqlOk<{ alerts: { edges: Array<{ node: { id: string; severity: string; patient: { id: string } } }> } }>(
      ts.url, list, { s: 'OPEN' }, team.mentalHealth.token,
    );
    const forPatient = mine.alerts.edges.filter((e) => e.node.patient.id === team.patient.id);
    expect(forPatient.map((e) => e.node.severity)).toEqual(['CRITICAL']);
    const lactation = await gqlOk<{ alerts: { edges: Array<{ node: { id: string } }> } }>(ts.url, list, { s: 'OPEN' }, team.lactation.token);
    expect(lactation.alerts.edges.map((e) => e.node.id)).not.toContain(forPatient[0]!.node.id);
  });
});
