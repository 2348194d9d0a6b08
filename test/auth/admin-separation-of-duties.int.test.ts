import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, signIn, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { logMood } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const ASSIGN = `mutation($p: ID!, $u: ID!, $r: CareTeamRole!) { assignCareTeamMember(patientId: $p, userId: $u, role: $r) { userId } }`;
const REMOVE = `mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }`;
const MOODS = `query($p: ID!) { statusUpdates(patientId: $p, kinds: [MOOD], first: 10) { edges { node { id } } } }`;
const CREATE_PATIENT = `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`;
const ADMIN_CHOSEN_PASSWORD = 'admin chose this one';

let ts: TestServer;
let tenant: TestTenant;
let coordinator: TestUser;
let patient: TestPatient;
let moodId: string;
let seq = 0;

/** The ADMIN's first request of the attack: a clinical account with a password of its choosing. */
async function adminCreates(role: 'MIDWIFE' | 'CARE_COORDINATOR'): Promise<{ id: string; email: string }> {
  const email = `planted-${Date.now().toString(36)}-${seq++}@sod.example`;
  const created = await gqlOk<{ createUser: { id: string } }>(ts.url, CREATE_USER, { input: { email, password: ADMIN_CHOSEN_PASSWORD, role, displayName: 'Planted' } }, tenant.admin.token);
  return { id: created.createUser.id, email };
}

/** The compliance events of the tenant for one rule, once the monitor has caught up. */
async function provisioningEvents(): Promise<Array<{ actor_id: string; patient_id: string | null; details: Record<string, unknown> }>> {
  await ts.server.services.auditTrail.compliance.settle();
  const rows = await rawSql(ts, `select "actor_id", "patient_id", "details"::text as details from "compliance_event" where "tenant_id" = ? and "rule" = 'ADMIN_CLINICAL_PROVISIONING' order by "seq"`, [tenant.id]);
  return rows.map((r) => ({ actor_id: r['actor_id'] as string, patient_id: r['patient_id'] as string | null, details: JSON.parse(r['details'] as string) as Record<string, unknown> }));
}

beforeAll(async () => {
  ts = await startTestServer();
  tenant = await TestTenant.create(ts);
  coordinator = await tenant.user('CARE_COORDINATOR');
  patient = await tenant.patient(coordinator, { withLogin: true });
  moodId = (await logMood(ts.url, patient, 2)).id;
});

afterAll(async () => {
  await ts?.close();
});

describe('separation of duties for ADMIN', () => {
  it('stops the three-request attack (create a MIDWIFE, put her on a team, read as her) at the second request with FORBIDDEN', async () => {
    const planted = await adminCreates('MIDWIFE');
    const assigned = await gql(ts.url, ASSIGN, { p: patient.id, u: planted.id, r: 'MIDWIFE' }, tenant.admin.token);
    expect(errorOf(assigned)).toEqual({ code: 'FORBIDDEN', field: 'role' });
    expect(assigned.data ?? null).toBeNull();
    const asHer = await gql(ts.url, MOODS, { p: patient.id }, await signIn(ts.url, planted.email, ADMIN_CHOSEN_PASSWORD));
    expect(errorOf(asHer).code).toBe('NOT_FOUND');
  });

  it("lets the patient's own coordinator add the same midwife, who then reads the mood (positive control)", async () => {
    const midwife = await adminCreates('MIDWIFE');
    await gqlOk(ts.url, ASSIGN, { p: patient.id, u: midwife.id, r: 'MIDWIFE' }, coordinator.token);
    const moods = await gqlOk<{ statusUpdates: { edges: Array<{ node: { id: string } }> } }>(ts.url, MOODS, { p: patient.id }, await signIn(ts.url, midwife.email, ADMIN_CHOSEN_PASSWORD));
    expect(moods.statusUpdates.edges.map((e) => e.node.id)).toEqual([moodId]);
  });

  it('refuses an ADMIN adding a second coordinator to a team that has one', async () => {
    const planted = await adminCreates('CARE_COORDINATOR');
    expect(errorOf(await gql(ts.url, ASSIGN, { p: patient.id, u: planted.id, r: 'CARE_COORDINATOR' }, tenant.admin.token))).toEqual({ code: 'FORBIDDEN', field: 'patientId' });
  });

  it('lets an ADMIN give a patient it registered (no coordinator) her coordinator, and remove a member', async () => {
    const registered = await gqlOk<{ createPatient: { id: string } }>(
      ts.url,
      CREATE_PATIENT,
      { input: { givenName: 'Orpha', familyName: 'Newly', birthDate: '1991-02-03', deliveryDate: new Date(ts.server.services.now() - 3 * 86_400_000).toISOString().slice(0, 10) } },
      tenant.admin.token,
    );
    const other = await tenant.user('CARE_COORDINATOR');
    expect(await gqlOk(ts.url, ASSIGN, { p: registered.createPatient.id, u: other.id, r: 'CARE_COORDINATOR' }, tenant.admin.token)).toEqual({ assignCareTeamMember: { userId: other.id } });
    const midwife = await adminCreates('MIDWIFE');
    await gqlOk(ts.url, ASSIGN, { p: registered.createPatient.id, u: midwife.id, r: 'MIDWIFE' }, other.token);
    expect(await gqlOk(ts.url, REMOVE, { p: registered.createPatient.id, u: midwife.id }, tenant.admin.token)).toEqual({ removeCareTeamMember: true });
    const events = await provisioningEvents();
    expect(events).toContainEqual({ actor_id: tenant.admin.id, patient_id: registered.createPatient.id, details: { step: 'ADMIN_CARE_TEAM_ASSIGNMENT', targetUserId: other.id, targetRole: 'CARE_COORDINATOR' } });
  });

  it('raises ADMIN_CLINICAL_PROVISIONING for every clinical account an ADMIN creates, and none for a PATIENT or RESEARCHER account', async () => {
    const before = (await provisioningEvents()).length;
    const midwife = await adminCreates('MIDWIFE');
    await tenant.user('PATIENT');
    await tenant.user('RESEARCHER');
    const events = await provisioningEvents();
    expect(events.slice(before)).toEqual([{ actor_id: tenant.admin.id, patient_id: null, details: { step: 'ACCOUNT_CREATED', targetUserId: midwife.id, targetRole: 'MIDWIFE' } }]);
  });
});
