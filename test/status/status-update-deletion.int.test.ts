import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDue, submitEpds } from '../alerting/alerting-helpers.js';
import { auditRows } from '../audit/helpers.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, receivedIds, subscribeLive } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

const DELETE = `mutation($id: ID!, $reason: StatusUpdateDeletionReason!) { deleteStatusUpdate(id: $id, reason: $reason) { id deletedAt reason } }`;
const UPDATES = `query($p: ID!) { statusUpdates(patientId: $p, first: 100) { edges { node { id } } } }`;
const OUTCOME = `query($c: OutcomeMetricsCriteria!) { outcomeMetrics(criteria: $c) { groups { group patients suppressed } } }`;
const NOTE = 'deleted-note-about-the-night-feeds';

describe('deleteStatusUpdate: a soft delete with a tombstone, hidden from every read path', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let midwife: TestUser;
  let mentalHealth: TestUser;
  let lactation: TestUser;
  let outsider: TestUser;
  let researcher: TestUser;
  let patient: TestPatient;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_RESEARCH_MIN_GROUP_SIZE: '2' } });
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    mentalHealth = await tenant.user('MENTAL_HEALTH_SPECIALIST');
    lactation = await tenant.user('LACTATION_CONSULTANT');
    outsider = await tenant.user('PRIMARY_CARE_PROVIDER');
    researcher = await tenant.user('RESEARCHER');
    patient = await tenant.patient(coordinator, { team: [midwife, mentalHealth, lactation], withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  const logNote = async (by: TestPatient | TestUser, token: string) =>
    (await gqlOk<{ logMood: { id: string; cursor: string } }>(ts.url, `mutation($i: LogMoodInput!) { logMood(input: $i) { id cursor } }`,
      { i: { patientId: patient.id, score: 2, note: NOTE } }, token)).logMood;
  const visibleIds = async (token: string) => (await gqlOk<{ statusUpdates: { edges: Array<{ node: { id: string } }> } }>(ts.url, UPDATES, { p: patient.id }, token))
    .statusUpdates.edges.map((e) => e.node.id);
  const stored = async (id: string) =>
    (await rawSql(ts, `select "deleted_at", "deleted_by", "deletion_reason", "data" from "status_update" where "id" = ?`, [id]))[0]!;

  it('lets the patient delete her own entry within the correction window: gone from queries and live replay, the row kept, a tombstone audited', async () => {
    const before = await logMood(ts.url, patient);
    const doomed = await logNote(patient, patient.user!.token);
    const after = await logMood(ts.url, patient);
    const auditBefore = (await auditRows(ts, tenant.id, patient.id)).length;

    const res = await gqlOk<{ deleteStatusUpdate: { id: string; deletedAt: string; reason: string } }>(ts.url, DELETE, { id: doomed.id, reason: 'PATIENT_REQUEST' }, patient.user!.token);
    expect(res.deleteStatusUpdate).toMatchObject({ id: doomed.id, reason: 'PATIENT_REQUEST' });

    expect(await visibleIds(midwife.token)).toEqual(expect.arrayContaining([before.id, after.id]));
    expect(await visibleIds(midwife.token)).not.toContain(doomed.id);
    expect(await visibleIds(patient.user!.token)).not.toContain(doomed.id);

    const row = await stored(doomed.id);
    expect(row).toMatchObject({ deleted_by: patient.user!.id, deletion_reason: 'PATIENT_REQUEST' });
    expect(row['deleted_at']).not.toBeNull();
    expect(String(row['data'])).toMatch(/^v1\./);

    const tombstones = (await auditRows(ts, tenant.id, patient.id)).slice(auditBefore).filter((r) => r.action === 'DELETE');
    expect(tombstones).toEqual([
      expect.objectContaining({
        actor_id: patient.user!.id, actor_role: 'PATIENT', outcome: 'ALLOWED', purpose: 'TREATMENT', fields: ['StatusUpdate'],
        details: expect.objectContaining({ statusUpdateId: doomed.id, kind: 'MOOD', reason: 'PATIENT_REQUEST' }),
        request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), user_agent: expect.any(String),
      }),
    ]);
    const dump = String((await rawSql(ts, `select string_agg("audit_event"::text, '\n') as t from "audit_event"`))[0]!['t']);
    expect(dump).not.toContain(NOTE);

    const client = wsClient(ts.wsUrl, midwife.token);
    try {
      const live = await subscribeLive(ts, client, PATIENT_UPDATES, { since: before.cursor, patientIds: [patient.id] });
      const later = await logMood(ts.url, patient);
      await live.waitFor(2);
      expect(receivedIds(live)).toEqual([after.id, later.id]);
      live.stop();
    } finally {
      await client.dispose();
    }
  });

  it('lets a clinician on her care team delete at any time, and the alert it raised no longer lists it as evidence', async () => {
    const screening = await submitEpds(ts, patient, 3);
    await runDue(ts);
    const evidence = async () => {
      const data = await gqlOk<{ alerts: { edges: Array<{ node: { id: string; evidence: Array<{ id: string }> } }> } }>(
        ts.url, `{ alerts(first: 50) { edges { node { id evidence { id } } } } }`, {}, mentalHealth.token);
      return data.alerts.edges.flatMap((e) => e.node.evidence.map((x) => x.id));
    };
    expect(await evidence()).toContain(screening);
    await rawSql(ts, `update "status_update" set "created_at" = now() - interval '30 days' where "id" = ?`, [screening]);

    await gqlOk(ts.url, DELETE, { id: screening, reason: 'ENTERED_IN_ERROR' }, mentalHealth.token);
    expect(await evidence()).not.toContain(screening);
    expect(await visibleIds(mentalHealth.token)).not.toContain(screening);
    expect(await stored(screening)).toMatchObject({ deleted_by: mentalHealth.id, deletion_reason: 'ENTERED_IN_ERROR' });
    const tombstone = (await auditRows(ts, tenant.id, patient.id)).filter((r) => r.action === 'DELETE').at(-1);
    expect(tombstone).toMatchObject({ actor_id: mentalHealth.id, actor_role: 'MENTAL_HEALTH_SPECIALIST', details: expect.objectContaining({ kind: 'SCREENING', reason: 'ENTERED_IN_ERROR' }) });
  });

  it('leaves a deleted screening out of research aggregates', async () => {
    const mothers: TestPatient[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await tenant.patient(coordinator, { withLogin: true });
      await gqlOk(ts.url, `mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }`,
        { i: { patientId: m.id, type: 'RESEARCH', categories: ['MENTAL_HEALTH'], version: 'research-v1' } }, m.user!.token);
      mothers.push(m);
    }
    const screenings = [];
    for (const m of mothers) screenings.push(await submitEpds(ts, m, 0));
    const people = async () =>
      (await gqlOk<{ outcomeMetrics: { groups: Array<{ patients: number | null; suppressed: boolean }> } }>(ts.url, OUTCOME, { c: { metric: 'EPDS_MEAN_TOTAL', groupBy: 'NONE' } }, researcher.token))
        .outcomeMetrics.groups;
    expect(await people()).toEqual([expect.objectContaining({ patients: 2, suppressed: false })]);
    await gqlOk(ts.url, DELETE, { id: screenings[0], reason: 'DUPLICATE' }, mothers[0]!.user!.token);
    expect(await people()).not.toEqual([expect.objectContaining({ patients: 2 })]);
    expect((await people()).every((g) => g.suppressed || g.patients === null || g.patients < 2)).toBe(true);
  });

  it('refuses everyone else, changing nothing: NOT_FOUND out of scope, FORBIDDEN past the window or under break-glass, BAD_USER_INPUT naming the field', async () => {
    const own = await logNote(patient, patient.user!.token);
    const byMidwife = (await gqlOk<{ logSleep: { id: string } }>(ts.url, `mutation($i: LogSleepInput!) { logSleep(input: $i) { id } }`,
      { i: { patientId: patient.id, hours: 5 } }, midwife.token)).logSleep;
    const other = await TestTenant.create(ts, 'Other Clinic');
    const otherCoordinator = await other.user('CARE_COORDINATOR');
    const foreignPatient = await other.patient(otherCoordinator, { withLogin: true });
    const foreign = await logMood(ts.url, foreignPatient);

    const attempt = async (id: string, reason: string, token: string) => errorOf(await gql(ts.url, DELETE, { id, reason }, token));
    expect(await attempt(crypto.randomUUID(), 'ENTERED_IN_ERROR', midwife.token)).toEqual({ code: 'NOT_FOUND', field: 'id' });
    expect(await attempt('not-an-id', 'ENTERED_IN_ERROR', midwife.token)).toEqual({ code: 'NOT_FOUND', field: 'id' });
    expect(await attempt(foreign.id, 'ENTERED_IN_ERROR', coordinator.token)).toEqual({ code: 'NOT_FOUND', field: 'id' });
    expect(await attempt(own.id, 'ENTERED_IN_ERROR', outsider.token)).toEqual({ code: 'NOT_FOUND', field: 'id' });
    expect(await attempt(own.id, 'ENTERED_IN_ERROR', lactation.token)).toEqual({ code: 'NOT_FOUND', field: 'id' });
    expect((await gql(ts.url, DELETE, { id: own.id, reason: 'ENTERED_IN_ERROR' }, tenant.admin.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await attempt(own.id, 'BECAUSE', midwife.token)).toEqual({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect(await attempt(own.id, 'WRONG_PATIENT', patient.user!.token)).toEqual({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect(await attempt(byMidwife.id, 'ENTERED_IN_ERROR', patient.user!.token)).toEqual({ code: 'FORBIDDEN', field: 'id' });

    await gqlOk(ts.url, `mutation($p: ID!) { requestEmergencyAccess(patientId: $p, justification: "Collapsed in clinic; her team is unreachable.") { id } }`,
      { p: patient.id }, outsider.token);
    expect(await attempt(own.id, 'ENTERED_IN_ERROR', outsider.token)).toEqual({ code: 'FORBIDDEN', field: 'id' });

    await rawSql(ts, `update "status_update" set "created_at" = now() - interval '25 hours' where "id" = ?`, [own.id]);
    expect(await attempt(own.id, 'ENTERED_IN_ERROR', patient.user!.token)).toEqual({ code: 'FORBIDDEN', field: 'id' });

    for (const id of [own.id, byMidwife.id, foreign.id]) expect(await stored(id)).toMatchObject({ deleted_at: null, deleted_by: null, deletion_reason: null });
    expect(await visibleIds(midwife.token)).toEqual(expect.arrayContaining([own.id, byMidwife.id]));
    const refusals = (await auditRows(ts, tenant.id, patient.id)).filter((r) => r.action === 'DELETE' && r.outcome === 'DENIED').map((r) => r.details['refusal']);
    expect(refusals).toEqual(expect.arrayContaining(['NOT_OWN_ENTRY', 'EMERGENCY_ACCESS', 'CORRECTION_WINDOW_CLOSED']));

    await gqlOk(ts.url, DELETE, { id: own.id, reason: 'ENTERED_IN_ERROR' }, midwife.token);
    expect(await attempt(own.id, 'ENTERED_IN_ERROR', midwife.token)).toEqual({ code: 'NOT_FOUND', field: 'id' });
  });
});
