import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_TENANT_ID } from '../../src/audit/login-audit.js';
import { TestTenant, TEST_PASSWORD, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, wsClient } from '../helpers/graphql-client.js';
import { subscribeLive } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { auditRows, type AuditRow } from './helpers.js';

const PATIENT = `query($id: ID!) { patient(id: $id) { givenName familyName phone } }`;
const MOOD_NOTE = 'secret-note-about-a-hard-night';

describe('audit collection: every path that reads or writes PHI is audited, once per patient per operation', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let midwife: TestUser;
  let outsider: TestUser;
  let patient: TestPatient;
  let identity: { givenName: string; familyName: string; phone: string; email: string; mrn: string };

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE', 'Midwife Morgan');
    outsider = await tenant.user('PRIMARY_CARE_PROVIDER');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    const data = await gqlOk<{ patient: typeof identity }>(ts.url, `query($id: ID!) { patient(id: $id) { givenName familyName phone email mrn } }`, { id: patient.id }, coordinator.token);
    identity = data.patient;
  });
  afterAll(async () => {
    await ts?.close();
  });

  /** The audit rows written after `afterSeq` for this tenant. */
  const rowsAfter = async (afterSeq: number, patientId = patient.id) => (await auditRows(ts, tenant.id, patientId)).filter((r) => Number(r.seq) > afterSeq);
  const lastSeq = async () => Number((await rawSql(ts, `select coalesce(max("seq"), 0) as s from "audit_event" where "tenant_id" = ?`, [tenant.id]))[0]!['s']);

  it('audits query patient as one READ naming the fields, with purpose TREATMENT, request id, address and user agent', async () => {
    const before = await lastSeq();
    await gqlOk(ts.url, PATIENT, { id: patient.id }, midwife.token);
    const rows = await rowsAfter(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: midwife.id,
      actor_role: 'MIDWIFE',
      action: 'READ',
      outcome: 'ALLOWED',
      purpose: 'TREATMENT',
      fields: ['Patient.familyName', 'Patient.givenName', 'Patient.phone'],
      client_ip: expect.stringMatching(/127\.0\.0\.1/),
      user_agent: expect.any(String),
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('audits a logged mood as a CREATE naming the written fields, and nested reads (StatusUpdate.patient) of statusUpdates as one READ', async () => {
    const before = await lastSeq();
    await gqlOk(ts.url, `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`, { input: { patientId: patient.id, score: 2, note: MOOD_NOTE } }, patient.user!.token);
    const created = await rowsAfter(before);
    expect(created.filter((r) => r.action === 'CREATE')).toEqual([
      expect.objectContaining({ actor_id: patient.user!.id, purpose: 'TREATMENT', fields: ['LogMoodInput.note', 'LogMoodInput.patientId', 'LogMoodInput.score', 'Mutation.logMood'] }),
    ]);
    expect(created.filter((r) => r.action === 'READ')).toEqual([expect.objectContaining({ fields: ['StatusUpdate.id'] })]);

    const mid = await lastSeq();
    await gqlOk(
      ts.url,
      `query($p: ID!) { statusUpdates(patientId: $p, first: 5) { edges { node { kind data patient { givenName } } } } }`,
      { p: patient.id },
      midwife.token,
    );
    const reads = await rowsAfter(mid);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ actor_id: midwife.id, action: 'READ', purpose: 'TREATMENT' });
    expect(reads[0]!.fields).toEqual(expect.arrayContaining(['StatusUpdate.data', 'StatusUpdate.patient', 'Patient.givenName']));
  });

  it('audits each patientUpdates event delivered over WebSocket as a READ by the subscriber of the fields it carried', async () => {
    const client = wsClient(ts.wsUrl, midwife.token);
    try {
      const live = await subscribeLive(ts, client, `subscription($p: [ID!]) { patientUpdates(patientIds: $p) { cursor update { kind data patient { familyName } } } }`, { p: [patient.id] });
      const before = await lastSeq();
      await gqlOk(ts.url, `mutation($input: LogSleepInput!) { logSleep(input: $input) { id } }`, { input: { patientId: patient.id, hours: 5 } }, patient.user!.token);
      await live.waitFor(1);
      const reads = (await rowsAfter(before)).filter((r) => r.actor_id === midwife.id);
      expect(reads).toHaveLength(1);
      expect(reads[0]).toMatchObject({ action: 'READ', outcome: 'ALLOWED', purpose: 'TREATMENT', request_id: expect.stringMatching(/^[0-9a-f-]{36}\/[^/]+#1$/) });
      // Marked as the subscription's first event: the compliance monitor counts a delivery's patients from it.
      expect(reads[0]!.details).toEqual({ liveEvent: 1 });
      expect(reads[0]!.fields).toEqual(expect.arrayContaining(['StatusUpdate.data', 'StatusUpdate.patient', 'Patient.familyName']));
      live.stop();
    } finally {
      await client.dispose();
    }
  });

  it('records a patient out of scope (NOT_FOUND) and a refused field (FORBIDDEN) as DENIED', async () => {
    const before = await lastSeq();
    expect(errorOf(await gql(ts.url, PATIENT, { id: patient.id }, outsider.token)).code).toBe('NOT_FOUND');
    const denied = await rowsAfter(before);
    expect(denied).toEqual([expect.objectContaining({ actor_id: outsider.id, outcome: 'DENIED', action: 'READ' })]);

    const mid = await lastSeq();
    const res = await gql(ts.url, `query($id: ID!) { patient(id: $id) { givenName deliveryDate } }`, { id: patient.id }, tenant.admin.token);
    expect(errorOf(res).code).toBe('FORBIDDEN');
    const adminRows = await rowsAfter(mid);
    expect(adminRows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor_id: tenant.admin.id, outcome: 'ALLOWED', purpose: 'OPERATIONS', fields: ['Patient.givenName'] }),
        expect.objectContaining({ actor_id: tenant.admin.id, outcome: 'DENIED', fields: ['Patient.deliveryDate'] }),
      ]),
    );
  });

  it('marks accesses under break-glass EMERGENCY and audits the request and its review', async () => {
    const doctor = await tenant.user('PRIMARY_CARE_PROVIDER');
    const officer = await tenant.user('COMPLIANCE_OFFICER');
    const before = await lastSeq();
    const grant = await gqlOk<{ requestEmergencyAccess: { id: string } }>(
      ts.url,
      `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id } }`,
      { p: patient.id, j: 'Patient unresponsive in the emergency department' },
      doctor.token,
    );
    await gqlOk(ts.url, PATIENT, { id: patient.id }, doctor.token);
    await gqlOk(ts.url, `mutation($id: ID!) { reviewEmergencyAccess(id: $id, outcome: APPROPRIATE, note: "checked") { id } }`, { id: grant.requestEmergencyAccess.id }, officer.token);
    const rows = await rowsAfter(before);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor_id: doctor.id, action: 'EMERGENCY_ACCESS_REQUESTED', purpose: 'EMERGENCY', details: { emergencyAccessId: grant.requestEmergencyAccess.id } }),
        expect.objectContaining({ actor_id: doctor.id, action: 'READ', purpose: 'EMERGENCY', fields: ['Patient.familyName', 'Patient.givenName', 'Patient.phone'] }),
        expect.objectContaining({ actor_id: officer.id, action: 'EMERGENCY_ACCESS_REVIEWED', details: { emergencyAccessId: grant.requestEmergencyAccess.id, reviewOutcome: 'APPROPRIATE' } }),
      ]),
    );
  });

  it('audits sign-ins: success as the user, failure as the attempted account, an unknown address in the no-tenant chain, never the address', async () => {
    const before = await lastSeq();
    const login = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
    await gqlOk(ts.url, login, { e: midwife.email, p: TEST_PASSWORD });
    expect(errorOf(await gql(ts.url, login, { e: midwife.email, p: 'not the password at all' })).code).toBe('UNAUTHENTICATED');
    const unknown = `nobody-${Date.now()}@nowhere.example`;
    expect(errorOf(await gql(ts.url, login, { e: unknown, p: 'whatever password' })).code).toBe('UNAUTHENTICATED');
    const rows = (await auditRows(ts, tenant.id)).filter((r) => Number(r.seq) > before && r.action === 'LOGIN');
    expect(rows).toEqual([
      expect.objectContaining({ actor_id: midwife.id, outcome: 'ALLOWED', patient_id: null }),
      expect.objectContaining({ actor_id: midwife.id, outcome: 'DENIED', details: { reason: 'UNAUTHENTICATED' } }),
    ]);
    const anonymous = await rawSql(ts, `select "actor_id", "outcome", "details"::text as d from "audit_event" where "tenant_id" = ? order by "seq" desc limit 1`, [NO_TENANT_ID]);
    expect(anonymous[0]).toMatchObject({ actor_id: 'unknown-account', outcome: 'DENIED' });
    const dump = await rawSql(ts, `select string_agg("audit_event"::text, '\n') as t from "audit_event"`);
    expect(String(dump[0]!['t'])).not.toContain(unknown);
    expect(String(dump[0]!['t']).toLowerCase()).not.toContain(midwife.email.toLowerCase());
  });

  it('records the request id and User-Agent of each sign-in, succeeded or refused, beside the client address', async () => {
    const before = await lastSeq();
    const login = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
    const signIn = async (password: string, userAgent: string) => {
      const res = await fetch(ts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': userAgent },
        body: JSON.stringify({ query: login, variables: { e: midwife.email, p: password } }),
      });
      await res.json();
      return res.headers.get('x-request-id');
    };
    const succeeded = await signIn(TEST_PASSWORD, 'CradleMidwifeApp/3.1 (iPad)');
    const refused = await signIn('not the password at all', 'curl/8.5.0');
    expect(succeeded).toMatch(/^[0-9a-f-]{36}$/);
    expect(refused).toMatch(/^[0-9a-f-]{36}$/);
    const rows = (await auditRows(ts, tenant.id)).filter((r) => Number(r.seq) > before && r.action === 'LOGIN');
    expect(rows).toEqual([
      expect.objectContaining({ actor_id: midwife.id, outcome: 'ALLOWED', request_id: succeeded, user_agent: 'CradleMidwifeApp/3.1 (iPad)', client_ip: expect.stringMatching(/127\.0\.0\.1/) }),
      expect.objectContaining({ actor_id: midwife.id, outcome: 'DENIED', request_id: refused, user_agent: 'curl/8.5.0', client_ip: expect.stringMatching(/127\.0\.0\.1/) }),
    ]);
  });

  it('stores no PHI value in any audit row (names, phone, e-mail, MRN, notes)', async () => {
    const dump = String((await rawSql(ts, `select string_agg("audit_event"::text, '\n') as t from "audit_event"`))[0]!['t']);
    expect(dump.length).toBeGreaterThan(100);
    for (const value of [identity.givenName, identity.familyName, identity.phone, identity.email, identity.mrn, MOOD_NOTE]) expect(dump).not.toContain(value);
  });

  it('serves auditTrail to compliance officers only, answers NOT_FOUND for another tenant, and audits the reading', async () => {
    const officer = await tenant.user('COMPLIANCE_OFFICER');
    const trail = `query($p: ID!, $after: String) { auditTrail(patientId: $p, first: 3, after: $after) {
      edges { cursor node { seq action actorRole actorDisplayName fields purpose outcome } } pageInfo { hasNextPage endCursor } } }`;
    expect(errorOf(await gql(ts.url, trail, { p: patient.id }, midwife.token)).code).toBe('FORBIDDEN');
    expect(errorOf(await gql(ts.url, trail, { p: patient.id }, patient.user!.token)).code).toBe('FORBIDDEN');
    const other = await TestTenant.create(ts, 'Other Clinic');
    const otherCoordinator = await other.user('CARE_COORDINATOR');
    const foreign = await other.patient(otherCoordinator);
    expect(errorOf(await gql(ts.url, trail, { p: foreign.id }, officer.token)).code).toBe('NOT_FOUND');

    const page1 = await gqlOk<{ auditTrail: { edges: Array<{ cursor: string; node: { seq: number } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      ts.url, trail, { p: patient.id }, officer.token);
    expect(page1.auditTrail.edges).toHaveLength(3);
    expect(page1.auditTrail.pageInfo.hasNextPage).toBe(true);
    const page2 = await gqlOk<typeof page1>(ts.url, trail, { p: patient.id, after: page1.auditTrail.pageInfo.endCursor }, officer.token);
    expect(page2.auditTrail.edges[0]!.node.seq).toBeLessThan(page1.auditTrail.edges[2]!.node.seq);
    const reads = (await auditRows(ts, tenant.id, patient.id)).filter((r: AuditRow) => r.action === 'AUDIT_TRAIL_READ' && r.actor_id === officer.id);
    expect(reads).toHaveLength(2);
  });

  it("gives the patient her accounting of disclosures: who (name and role), why, which fields; not her own accesses", async () => {
    const report = await gqlOk<{ myAccessReport: { edges: Array<{ node: { actorDisplayName: string; actorRole: string; purpose: string; fields: string[]; outcome: string; action: string } }> } }>(
      ts.url,
      `{ myAccessReport(first: 100) { edges { node { actorDisplayName actorRole action purpose fields outcome occurredAt } } } }`,
      {},
      patient.user!.token,
    );
    const nodes = report.myAccessReport.edges.map((e) => e.node);
    expect(nodes).toEqual(expect.arrayContaining([expect.objectContaining({ actorDisplayName: 'Midwife Morgan', actorRole: 'MIDWIFE', purpose: 'TREATMENT', outcome: 'ALLOWED' })]));
    expect(nodes.some((n) => n.actorRole === 'PATIENT')).toBe(false);
    expect(errorOf(await gql(ts.url, `{ myAccessReport { edges { node { action } } } }`, {}, midwife.token)).code).toBe('FORBIDDEN');
    const clientIp = await gql(ts.url, `{ myAccessReport { edges { node { clientIp } } } }`, {}, patient.user!.token);
    expect(errorOf(clientIp).code).toBe('FORBIDDEN');
  });

  it('answers verifyAuditChain for compliance officers with the chain intact', async () => {
    const officer = await tenant.user('COMPLIANCE_OFFICER');
    const data = await gqlOk<{ verifyAuditChain: { valid: boolean; brokenAt: number | null; lastSeq: number } }>(ts.url, `{ verifyAuditChain { valid brokenAt lastSeq } }`, {}, officer.token);
    expect(data.verifyAuditChain).toEqual({ valid: true, brokenAt: null, lastSeq: expect.any(Number) });
    expect(data.verifyAuditChain.lastSeq).toBeGreaterThan(10);
    expect(errorOf(await gql(ts.url, `{ verifyAuditChain { valid } }`, {}, tenant.admin.token)).code).toBe('FORBIDDEN');
  });
});
