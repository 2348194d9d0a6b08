import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cursor } from '../../src/schema/common/cursor.js';
import { signIn, TestTenant, type TestUser } from '../helpers/builders.js';
import { collect, errorOf, gql, gqlOk, wsClient } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';

const PATIENT = `query($id: ID!) { patient(id: $id) { givenName } }`;
const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
const SET_THRESHOLDS = `mutation($input: ComplianceThresholdsInput!) { setComplianceThresholds(input: $input) { failedLogins manyPatients bulkExportRecords usualHoursMinHistory } }`;
const DAY = 86_400_000;

/** A fixed Monday, 10:00 UTC. */
const START = Date.parse('2026-11-16T10:00:00Z');

describe('compliance monitoring rules over the audit trail', () => {
  let ts: TestServer;
  let clock: { now: number };

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(START));
  });
  afterAll(async () => {
    await ts?.close();
  });

  const settle = () => ts.server.services.auditTrail.compliance.settle();
  /** The compliance events of a tenant (optionally of one rule and actor), oldest first. */
  async function raised(tenantId: string, rule?: string, actorId?: string): Promise<Array<{ rule: string; actor_id: string | null; patient_id: string | null; details: unknown }>> {
    await settle();
    const rows = await rawSql(ts, `select "rule", "actor_id", "patient_id", "details"::text as details from "compliance_event" where "tenant_id" = ? order by "seq"`, [tenantId]);
    return rows
      .map((r) => ({ rule: String(r['rule']), actor_id: r['actor_id'] as string | null, patient_id: r['patient_id'] as string | null, details: JSON.parse(String(r['details'])) }))
      .filter((r) => (!rule || r.rule === rule) && (!actorId || r.actor_id === actorId));
  }
  async function tenantWith(thresholds: Record<string, number>): Promise<{ tenant: TestTenant; coordinator: TestUser }> {
    const tenant = await TestTenant.create(ts);
    await gqlOk(ts.url, SET_THRESHOLDS, { input: thresholds }, tenant.admin.token);
    return { tenant, coordinator: await tenant.user('CARE_COORDINATOR') };
  }

  it('raises REPEATED_FAILED_LOGINS when an account reaches the threshold within the window, not below it', async () => {
    const { tenant } = await tenantWith({ failedLogins: 3 });
    const nurse = await tenant.user('MIDWIFE');
    for (let i = 0; i < 2; i++) expect(errorOf(await gql(ts.url, LOGIN, { e: nurse.email, p: 'wrong password number x' })).code).toBe('UNAUTHENTICATED');
    expect(await raised(tenant.id, 'REPEATED_FAILED_LOGINS')).toEqual([]);
    expect(errorOf(await gql(ts.url, LOGIN, { e: nurse.email, p: 'wrong password number x' })).code).toBe('UNAUTHENTICATED');
    expect(await raised(tenant.id, 'REPEATED_FAILED_LOGINS')).toEqual([expect.objectContaining({ actor_id: nurse.id, details: { failures: 3, windowMinutes: 15 } })]);
  });

  it('raises OUTSIDE_USUAL_HOURS for an access far from the hours of a user with enough history, not for one with too little', async () => {
    const { tenant, coordinator } = await tenantWith({ usualHoursMinHistory: 5 });
    const regular = await tenant.user('MIDWIFE');
    const newcomer = await tenant.user('MIDWIFE');
    const patient = await tenant.patient(coordinator, { team: [regular, newcomer] });
    clock.now = START + DAY;
    const regularToken = await signIn(ts.url, regular.email);
    const newcomerToken = await signIn(ts.url, newcomer.email);
    for (let i = 0; i < 5; i++) await gqlOk(ts.url, PATIENT, { id: patient.id }, regularToken);
    for (let i = 0; i < 4; i++) await gqlOk(ts.url, PATIENT, { id: patient.id }, newcomerToken);
    expect(await raised(tenant.id, 'OUTSIDE_USUAL_HOURS')).toEqual([]);

    clock.now = START + 2 * DAY + 17 * 3_600_000; // 03:00 UTC two days later
    await gqlOk(ts.url, PATIENT, { id: patient.id }, await signIn(ts.url, regular.email));
    await gqlOk(ts.url, PATIENT, { id: patient.id }, await signIn(ts.url, newcomer.email));
    const events = await raised(tenant.id, 'OUTSIDE_USUAL_HOURS');
    expect(events).toEqual([expect.objectContaining({ actor_id: regular.id, patient_id: patient.id, details: { hourUtc: 3, baselineAccesses: 5 } })]);
    // The baseline is read from hourly counts per actor, which match the records evaluated exactly.
    const byHour = (sql: string) => rawSql(ts, sql, [tenant.id]).then((rows) => rows.map((r) => `${String(r['actor_id'])} ${new Date(String(r['hour'])).toISOString()} ${Number(r['n'])}`).sort());
    const counted = await byHour(`select "actor_id", "hour", "accesses" as n from "audit_actor_hour" where "tenant_id" = ?`);
    expect(counted).toEqual(
      await byHour(`select "actor_id", date_trunc('hour', "occurred_at" at time zone 'UTC') at time zone 'UTC' as "hour", count(*) as n from "audit_event"
        where "tenant_id" = ? and "action" in ('READ', 'CREATE', 'UPDATE', 'DELETE') and "outcome" = 'ALLOWED' group by 1, 2`),
    );
    expect(counted.filter((line) => line.startsWith(regular.id))).toHaveLength(2);
    clock.now = START;
  });

  it('raises MANY_PATIENTS when one user touches the threshold of distinct patients within the window, not below it', async () => {
    const { tenant, coordinator } = await tenantWith({ manyPatients: 3, manyPatientsWindowMinutes: 10 });
    const busy = await tenant.user('MIDWIFE');
    const calm = await tenant.user('MIDWIFE');
    const patients = [];
    for (let i = 0; i < 3; i++) patients.push(await tenant.patient(coordinator, { team: [busy, calm] }));
    await gqlOk(ts.url, PATIENT, { id: patients[0]!.id }, calm.token);
    await gqlOk(ts.url, PATIENT, { id: patients[1]!.id }, calm.token);
    for (const p of patients.slice(0, 2)) await gqlOk(ts.url, PATIENT, { id: p.id }, busy.token);
    expect(await raised(tenant.id, 'MANY_PATIENTS', busy.id)).toEqual([]);
    await gqlOk(ts.url, PATIENT, { id: patients[2]!.id }, busy.token);
    expect(await raised(tenant.id, 'MANY_PATIENTS', busy.id)).toEqual([expect.objectContaining({ details: { patients: 3, windowMinutes: 10 } })]);
    expect(await raised(tenant.id, 'MANY_PATIENTS', calm.id)).toEqual([]);
    // The rule counts from the last access per actor and patient, which matches the records evaluated exactly.
    const lastAccess = (sql: string) => rawSql(ts, sql, [tenant.id]).then((rows) => rows.map((r) => `${String(r['actor_id'])} ${String(r['patient_id'])} ${String(r['ms'])}`).sort());
    const rolled = await lastAccess(`select "actor_id", "patient_id", (extract(epoch from "last_at") * 1000)::bigint as ms from "audit_actor_patient" where "tenant_id" = ?`);
    expect(rolled).toEqual(
      await lastAccess(`select "actor_id", "patient_id", max((extract(epoch from "occurred_at") * 1000)::bigint) as ms from "audit_event"
        where "tenant_id" = ? and "action" in ('READ', 'CREATE', 'UPDATE', 'DELETE') and "outcome" = 'ALLOWED' and "patient_id" is not null group by 1, 2`),
    );
    expect(rolled.filter((line) => line.startsWith(busy.id))).toHaveLength(3);
  });

  it('prunes the rollups the rules read once no window a tenant may set reaches them', async () => {
    const { tenant, coordinator } = await tenantWith({});
    const nurse = await tenant.user('MIDWIFE');
    const patient = await tenant.patient(coordinator, { team: [nurse] });
    const another = await tenant.patient(coordinator, { team: [nurse] });
    await gqlOk(ts.url, PATIENT, { id: patient.id }, nurse.token);
    const rollups = async () => {
      await settle();
      const pairs = await rawSql(ts, `select "patient_id" from "audit_actor_patient" where "tenant_id" = ? and "actor_id" = ?`, [tenant.id, nurse.id]);
      const hours = await rawSql(ts, `select (extract(epoch from "hour") * 1000)::bigint as ms from "audit_actor_hour" where "tenant_id" = ? and "actor_id" = ?`, [tenant.id, nurse.id]);
      return { pairs: pairs.map((r) => String(r['patient_id'])), hours: hours.map((r) => Number(r['ms'])).sort() };
    };
    const first = await rollups();
    expect(first.pairs).toEqual([patient.id]);
    expect(first.hours).toHaveLength(1);
    try {
      // Two days on, the first access is past the longest MANY_PATIENTS window (a day), not past the longest baseline (365 days).
      clock.now = START + 2 * DAY;
      await gqlOk(ts.url, PATIENT, { id: another.id }, await signIn(ts.url, nurse.email));
      const later = await rollups();
      expect(later.pairs).toEqual([another.id]);
      expect(later.hours).toEqual([first.hours[0], expect.any(Number)]);
      // A year and more on, both earlier hours have left the longest baseline too.
      clock.now = START + 400 * DAY;
      await gqlOk(ts.url, PATIENT, { id: patient.id }, await signIn(ts.url, nurse.email));
      const muchLater = await rollups();
      expect(muchLater.hours).toEqual([Math.floor((START + 400 * DAY) / 3_600_000) * 3_600_000]);
    } finally {
      clock.now = START;
    }
  });

  it('counts for MANY_PATIENTS the accesses another instance evaluated', async () => {
    const { tenant, coordinator } = await tenantWith({ manyPatients: 3, manyPatientsWindowMinutes: 10 });
    const busy = await tenant.user('MIDWIFE');
    const patients = [];
    for (let i = 0; i < 3; i++) patients.push(await tenant.patient(coordinator, { team: [busy] }));
    const other = await startTestServer({ shareWith: ts, now: () => clock.now });
    try {
      for (const p of patients.slice(0, 2)) await gqlOk(ts.url, PATIENT, { id: p.id }, busy.token);
      expect(await raised(tenant.id, 'MANY_PATIENTS', busy.id)).toEqual([]);
      // The third access is appended and evaluated by the second instance, which has seen nothing of the first two.
      await gqlOk(other.url, PATIENT, { id: patients[2]!.id }, busy.token);
      await other.server.services.auditTrail.compliance.settle();
      expect(await raised(tenant.id, 'MANY_PATIENTS', busy.id)).toEqual([expect.objectContaining({ details: { patients: 3, windowMinutes: 10 } })]);
      // And back on the first instance, which evaluated none of the third: the rule fires once per episode.
      await gqlOk(ts.url, PATIENT, { id: patients[0]!.id }, busy.token);
      expect(await raised(tenant.id, 'MANY_PATIENTS', busy.id)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('raises BULK_EXPORT when one operation touches the threshold of patients, not below it', async () => {
    const { tenant, coordinator } = await tenantWith({ bulkExportRecords: 3 });
    const exporter = await tenant.user('MIDWIFE');
    const modest = await tenant.user('MIDWIFE');
    for (let i = 0; i < 3; i++) await tenant.patient(coordinator, { team: i < 2 ? [exporter, modest] : [exporter] });
    const LIST = `{ patients(first: 50) { edges { node { givenName familyName } } } }`;
    await gqlOk(ts.url, LIST, {}, modest.token);
    expect(await raised(tenant.id, 'BULK_EXPORT', modest.id)).toEqual([]);
    await gqlOk(ts.url, LIST, {}, exporter.token);
    expect(await raised(tenant.id, 'BULK_EXPORT', exporter.id)).toEqual([expect.objectContaining({ details: expect.objectContaining({ patients: 3 }) })]);
  });

  it('counts for BULK_EXPORT an operation\'s records evaluated in an earlier batch', async () => {
    const { tenant, coordinator } = await tenantWith({ bulkExportRecords: 3 });
    const exporter = await tenant.user('MIDWIFE');
    const patients = [];
    for (let i = 0; i < 3; i++) patients.push(await tenant.patient(coordinator, { team: [exporter] }));
    const requestId = `bulk-${crypto.randomUUID()}`;
    const read = (patientId: string) => ({
      tenantId: tenant.id,
      actor: { type: 'USER' as const, userId: exporter.id, role: 'MIDWIFE' as const },
      patientId,
      action: 'READ' as const,
      fields: ['Patient.givenName'],
      purpose: 'TREATMENT' as const,
      outcome: 'ALLOWED' as const,
      requestId,
      clientIp: null,
      userAgent: null,
      details: {},
    });
    // One operation whose records reach the monitor in two batches: two patients, then a third.
    await ts.server.services.audit.append([read(patients[0]!.id), read(patients[1]!.id)]);
    expect(await raised(tenant.id, 'BULK_EXPORT', exporter.id)).toEqual([]);
    await ts.server.services.audit.append([read(patients[2]!.id)]);
    expect(await raised(tenant.id, 'BULK_EXPORT', exporter.id)).toEqual([expect.objectContaining({ details: { requestId, patients: 3 } })]);
  });

  it('raises BREAK_GLASS for every emergency access and NEVER_ON_CARE_TEAM for the first access of someone never on her team', async () => {
    const { tenant, coordinator } = await tenantWith({});
    const member = await tenant.user('MIDWIFE');
    const doctor = await tenant.user('PRIMARY_CARE_PROVIDER');
    const patient = await tenant.patient(coordinator, { team: [member] });
    await gqlOk(ts.url, PATIENT, { id: patient.id }, member.token);
    const grant = await gqlOk<{ requestEmergencyAccess: { id: string } }>(
      ts.url,
      `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id } }`,
      { p: patient.id, j: 'Collapsed in the waiting room, needs history' },
      doctor.token,
    );
    await gqlOk(ts.url, PATIENT, { id: patient.id }, doctor.token);
    await gqlOk(ts.url, PATIENT, { id: patient.id }, doctor.token);
    expect(await raised(tenant.id, 'BREAK_GLASS')).toEqual([
      expect.objectContaining({ actor_id: doctor.id, patient_id: patient.id, details: { emergencyAccessId: grant.requestEmergencyAccess.id } }),
    ]);
    expect(await raised(tenant.id, 'NEVER_ON_CARE_TEAM')).toEqual([expect.objectContaining({ actor_id: doctor.id, patient_id: patient.id, details: { purpose: 'EMERGENCY' } })]);
  });

  it('streams compliance events to compliance officers: live, and replayed after a cursor without gap or duplicate', async () => {
    const { tenant } = await tenantWith({ failedLogins: 2 });
    const officer = await tenant.user('COMPLIANCE_OFFICER');
    const a = await tenant.user('MIDWIFE');
    const b = await tenant.user('MIDWIFE');
    const SUB = `subscription($since: String) { complianceEvents(since: $since) { cursor rule actorId } }`;
    const client = wsClient(ts.wsUrl, officer.token);
    try {
      // From the tenant's first event: whether the subscription is live before the first event or not, it arrives exactly once.
      // The tenant's first three events are the ADMIN creating its coordinator and the two midwives (ADMIN_CLINICAL_PROVISIONING).
      const live = collect<{ complianceEvents: { cursor: string; rule: string; actorId: string } }>(client, SUB, { since: Cursor.ofSeq(0) });
      for (let i = 0; i < 2; i++) await gql(ts.url, LOGIN, { e: a.email, p: 'wrong password for a' });
      const [, , , first] = await live.waitFor(4);
      expect(live.received.slice(0, 3).map((e) => e.complianceEvents)).toMatchObject(Array(3).fill({ rule: 'ADMIN_CLINICAL_PROVISIONING', actorId: tenant.admin.id }));
      expect(first!.complianceEvents).toMatchObject({ rule: 'REPEATED_FAILED_LOGINS', actorId: a.id });
      for (let i = 0; i < 2; i++) await gql(ts.url, LOGIN, { e: b.email, p: 'wrong password for b' });
      await live.waitFor(5);
      expect(live.received.slice(3).map((e) => e.complianceEvents.actorId)).toEqual([a.id, b.id]);

      const replay = collect<{ complianceEvents: { cursor: string; actorId: string } }>(client, SUB, { since: first!.complianceEvents.cursor });
      await replay.waitFor(1);
      expect(replay.received.map((e) => e.complianceEvents.actorId)).toEqual([b.id]);
      live.stop();
      replay.stop();
    } finally {
      await client.dispose();
    }
    const midwifeClient = wsClient(ts.wsUrl, a.token);
    const refused = collect(midwifeClient, SUB, {});
    await expect(refused.waitFor(1, 2000)).rejects.toThrow();
    expect(JSON.stringify(refused.errors)).toContain('FORBIDDEN');
    await midwifeClient.dispose();
    const list = await gqlOk<{ complianceEvents: { edges: Array<{ node: { rule: string } }> } }>(ts.url, `{ complianceEvents(first: 10) { edges { node { rule } } } }`, {}, officer.token);
    expect(list.complianceEvents.edges.map((e) => e.node.rule).sort()).toEqual([...Array(3).fill('ADMIN_CLINICAL_PROVISIONING'), 'REPEATED_FAILED_LOGINS', 'REPEATED_FAILED_LOGINS']);
  });

  it('lets an ADMIN or compliance officer change thresholds, checks them, and refuses others', async () => {
    const tenant = await TestTenant.create(ts);
    const officer = await tenant.user('COMPLIANCE_OFFICER');
    const midwife = await tenant.user('MIDWIFE');
    expect((await gqlOk<{ setComplianceThresholds: { failedLogins: number } }>(ts.url, SET_THRESHOLDS, { input: { failedLogins: 7 } }, officer.token)).setComplianceThresholds.failedLogins).toBe(7);
    const bad = await gql(ts.url, SET_THRESHOLDS, { input: { failedLogins: 1, manyPatients: 40 } }, tenant.admin.token);
    expect(errorOf(bad)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.failedLogins' });
    const now = await gqlOk<{ complianceThresholds: { failedLogins: number; manyPatients: number } }>(ts.url, `{ complianceThresholds { failedLogins manyPatients } }`, {}, tenant.admin.token);
    expect(now.complianceThresholds).toEqual({ failedLogins: 7, manyPatients: 30 });
    expect(errorOf(await gql(ts.url, SET_THRESHOLDS, { input: { failedLogins: 9 } }, midwife.token)).code).toBe('FORBIDDEN');
  });

  it('summarises a period: accesses by purpose and outcome, incidents by rule, break-glass reviews', async () => {
    const { tenant, coordinator } = await tenantWith({});
    const officer = await tenant.user('COMPLIANCE_OFFICER');
    const member = await tenant.user('MIDWIFE');
    const doctor = await tenant.user('PRIMARY_CARE_PROVIDER');
    const patient = await tenant.patient(coordinator, { team: [member] });
    await gqlOk(ts.url, PATIENT, { id: patient.id }, member.token);
    await gql(ts.url, PATIENT, { id: patient.id }, doctor.token);
    await gqlOk(ts.url, `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id } }`, { p: patient.id, j: 'Emergency admission, needs history now' }, doctor.token);
    await gqlOk(ts.url, PATIENT, { id: patient.id }, doctor.token);
    await settle();
    const report = await gqlOk<{ complianceReport: { accesses: Array<{ purpose: string | null; outcome: string; count: number }>; incidents: Array<{ rule: string; count: number }>; breakGlass: Record<string, number> } }>(
      ts.url,
      `query($from: DateTimeISO!, $to: DateTimeISO!) { complianceReport(from: $from, to: $to) {
        accesses { purpose outcome count } incidents { rule count } breakGlass { granted reviewedAppropriate reviewedInappropriate pendingReview } } }`,
      { from: new Date(clock.now - DAY).toISOString(), to: new Date(clock.now + DAY).toISOString() },
      officer.token,
    );
    const r = report.complianceReport;
    expect(r.accesses).toEqual(expect.arrayContaining([{ purpose: 'EMERGENCY', outcome: 'ALLOWED', count: 1 }, { purpose: null, outcome: 'DENIED', count: 1 }]));
    expect(r.accesses.find((a) => a.purpose === 'TREATMENT' && a.outcome === 'ALLOWED')!.count).toBeGreaterThanOrEqual(2);
    expect(r.incidents).toEqual(expect.arrayContaining([{ rule: 'BREAK_GLASS', count: 1 }, { rule: 'NEVER_ON_CARE_TEAM', count: 1 }]));
    expect(r.breakGlass).toEqual({ granted: 1, reviewedAppropriate: 0, reviewedInappropriate: 0, pendingReview: 1 });
    expect(errorOf(await gql(ts.url, `{ complianceReport(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { incidents { rule } } }`, {}, tenant.admin.token)).code).toBe('FORBIDDEN');
  });
});
