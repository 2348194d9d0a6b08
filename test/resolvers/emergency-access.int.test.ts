import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REQUEST = `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id expiresAt } }`;
const REVIEW = `mutation($id: ID!, $o: EmergencyReviewOutcome!, $n: String!) { reviewEmergencyAccess(id: $id, outcome: $o, note: $n) { id reviewOutcome reviewNote } }`;
const PATIENT = `query($id: ID!) { patient(id: $id) { id givenName } }`;
const JUSTIFICATION = 'Unconscious in the emergency department; her own team cannot be reached.';
const HOUR = 3_600_000;

describe('break-glass emergency access', () => {
  let clock = Date.now();
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let outsider: TestUser;
  let compliance: TestUser;
  let patient: TestPatient;

  beforeAll(async () => {
    ts = await startTestServer({ now: () => clock });
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    outsider = await tenant.user('PRIMARY_CARE_PROVIDER');
    compliance = await tenant.user('COMPLIANCE_OFFICER');
    patient = await tenant.patient(coordinator, { withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('is refused to patients, researchers, compliance officers and admins', async () => {
    for (const role of ['PATIENT', 'RESEARCHER', 'COMPLIANCE_OFFICER'] as const) {
      const user = await tenant.user(role);
      expect(errorOf(await gql(ts.url, REQUEST, { p: patient.id, j: JUSTIFICATION }, user.token)).code).toBe('FORBIDDEN');
    }
    expect(errorOf(await gql(ts.url, REQUEST, { p: patient.id, j: JUSTIFICATION }, tenant.admin.token)).code).toBe('FORBIDDEN');
  });

  it('demands a real justification, an existing patient, and no team membership', async () => {
    const clinician = await tenant.user('MIDWIFE');
    expect(errorOf(await gql(ts.url, REQUEST, { p: patient.id, j: 'urgent' }, clinician.token))).toEqual({ code: 'BAD_USER_INPUT', field: 'justification' });
    expect(errorOf(await gql(ts.url, REQUEST, { p: crypto.randomUUID(), j: JUSTIFICATION }, clinician.token))).toEqual({ code: 'NOT_FOUND', field: 'patientId' });
    expect(errorOf(await gql(ts.url, REQUEST, { p: patient.id, j: JUSTIFICATION }, coordinator.token)).code).toBe('CONFLICT');
  });

  it('waits for a compliance review, which only a compliance officer can give, once', async () => {
    const clinician = await tenant.user('MENTAL_HEALTH_SPECIALIST');
    const granted = await gqlOk<{ requestEmergencyAccess: { id: string } }>(ts.url, REQUEST, { p: patient.id, j: JUSTIFICATION }, clinician.token);
    const id = granted.requestEmergencyAccess.id;
    const pending = await gqlOk<{ pendingEmergencyAccessReviews: Array<{ id: string; userId: string; justification: string }> }>(
      ts.url, `{ pendingEmergencyAccessReviews { id userId justification } }`, {}, compliance.token,
    );
    expect(pending.pendingEmergencyAccessReviews).toContainEqual({ id, userId: clinician.id, justification: JUSTIFICATION });
    expect(errorOf(await gql(ts.url, REVIEW, { id, o: 'APPROPRIATE', n: 'fine' }, clinician.token)).code).toBe('FORBIDDEN');
    const reviewed = await gqlOk<{ reviewEmergencyAccess: { id: string; reviewOutcome: string; reviewNote: string } }>(
      ts.url, REVIEW, { id, o: 'INAPPROPRIATE', n: 'Team was reachable by phone.' }, compliance.token,
    );
    expect(reviewed.reviewEmergencyAccess).toEqual({ id, reviewOutcome: 'INAPPROPRIATE', reviewNote: 'Team was reachable by phone.' });
    expect(errorOf(await gql(ts.url, REVIEW, { id, o: 'APPROPRIATE', n: 'again' }, compliance.token)).code).toBe('CONFLICT');
    const after = await gqlOk<{ pendingEmergencyAccessReviews: Array<{ id: string }> }>(ts.url, `{ pendingEmergencyAccessReviews { id } }`, {}, compliance.token);
    expect(after.pendingEmergencyAccessReviews.map((g) => g.id)).not.toContain(id);
  });

  it('does not show the justification to the clinician who broke the glass', async () => {
    const clinician = await tenant.user('MIDWIFE');
    const res = await gql(ts.url, `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id justification } }`, { p: patient.id, j: JUSTIFICATION }, clinician.token);
    expect(errorOf(res).code).toBe('FORBIDDEN');
  });
  // Last: it moves the clock past every token's lifetime.
  it('opens a patient to a clinician outside her team for four hours, then closes it again', async () => {
    expect(errorOf(await gql(ts.url, PATIENT, { id: patient.id }, outsider.token)).code).toBe('NOT_FOUND');
    const granted = await gqlOk<{ requestEmergencyAccess: { id: string; expiresAt: string } }>(ts.url, REQUEST, { p: patient.id, j: JUSTIFICATION }, outsider.token);
    expect(Date.parse(granted.requestEmergencyAccess.expiresAt) - clock).toBe(4 * HOUR);
    const seen = await gqlOk<{ patient: { id: string; givenName: string } }>(ts.url, PATIENT, { id: patient.id }, outsider.token);
    expect(seen.patient).toEqual({ id: patient.id, givenName: 'Testa' });
    const mood = await gqlOk<{ logMood: { id: string } }>(ts.url, `mutation($i: LogMoodInput!) { logMood(input: $i) { id } }`, { i: { patientId: patient.id, score: 1 } }, outsider.token);
    expect(mood.logMood.id).toMatch(/^[0-9a-f-]{36}$/);

    clock += 4 * HOUR + 60_000;
    const token = await signIn(ts.url, outsider.email);
    expect(errorOf(await gql(ts.url, PATIENT, { id: patient.id }, token)).code).toBe('NOT_FOUND');
  });
});
