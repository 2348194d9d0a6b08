import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, type GqlResponse } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const PATIENT_NAME = `query($id: ID!) { patient(id: $id) { id givenName familyName } }`;
const PATIENT_TEAM = `query($id: ID!) { patient(id: $id) { id careTeam { userId role } } }`;
const PATIENTS = `query($first: Int!, $after: String) {
  patients(first: $first, after: $after) { edges { cursor node { id givenName } } pageInfo { hasNextPage endCursor } }
}`;
const CREATE_PATIENT = `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id givenName familyName birthDate deliveryDate } }`;
const ASSIGN = `mutation($p: ID!, $u: ID!, $r: CareTeamRole!) {
  assignCareTeamMember(patientId: $p, userId: $u, role: $r) { patientId userId role displayName }
}`;
const REMOVE = `mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }`;

type PatientsPage = {
  patients: { edges: Array<{ cursor: string; node: { id: string; givenName: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
};

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

/** A valid createPatient input, with overrides. */
const patientInput = (overrides: Record<string, unknown> = {}) => ({
  givenName: 'Ada',
  familyName: 'Lovelace',
  birthDate: '1990-06-15',
  deliveryDate: daysAgo(7),
  phone: '+44 20 7946 0001',
  ...overrides,
});

/** The one error of a response, as the client sees it (no data). */
function onlyError(res: GqlResponse): { message: string; code?: string; field?: string } {
  expect(res.errors).toHaveLength(1);
  expect(res.data ?? null).toBeNull();
  return { message: res.errors![0]!.message, ...errorOf(res) };
}

describe('patients and care teams', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let midwife: TestUser;
  let lactation: TestUser;
  let outsider: TestUser;
  let patient: TestPatient;

  const patientOf = (token: string, id: string, query = PATIENT_NAME) => gql<{ patient: Record<string, unknown> }>(ts.url, query, { id }, token);
  const assign = (token: string, p: string, u: string, r: string) => gql(ts.url, ASSIGN, { p, u, r }, token);
  const listAll = async (token: string, first: number): Promise<{ ids: string[]; pages: number }> => {
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: PatientsPage = await gqlOk<PatientsPage>(ts.url, PATIENTS, { first, after }, token);
      pages++;
      expect(page.patients.edges.length).toBeLessThanOrEqual(first);
      ids.push(...page.patients.edges.map((e) => e.node.id));
      if (!page.patients.pageInfo.hasNextPage) return { ids, pages };
      after = page.patients.pageInfo.endCursor;
    }
  };

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    lactation = await tenant.user('LACTATION_CONSULTANT');
    outsider = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife, lactation], withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('puts the CARE_COORDINATOR who creates a patient on her care team', async () => {
    const created = await gqlOk<{ createPatient: Record<string, string> }>(ts.url, CREATE_PATIENT, { input: patientInput() }, coordinator.token);
    expect(created.createPatient).toMatchObject({ givenName: 'Ada', familyName: 'Lovelace', birthDate: '1990-06-15', deliveryDate: daysAgo(7) });
    const res = await gqlOk<{ patient: { id: string; careTeam: unknown[] } }>(ts.url, PATIENT_TEAM, { id: created.createPatient['id'] }, coordinator.token);
    expect(res.patient).toEqual({ id: created.createPatient['id'], careTeam: [{ userId: coordinator.id, role: 'CARE_COORDINATOR' }] });
  });

  it('lists every assigned member on the care team with her care-team role', async () => {
    const res = await gqlOk<{ patient: { careTeam: Array<{ userId: string; role: string }> } }>(ts.url, PATIENT_TEAM, { id: patient.id }, midwife.token);
    expect(res.patient.careTeam).toEqual([
      { userId: coordinator.id, role: 'CARE_COORDINATOR' },
      { userId: midwife.id, role: 'MIDWIFE' },
      { userId: lactation.id, role: 'LACTATION_CONSULTANT' },
    ]);
  });

  it('answers an unassigned clinician, another tenant and a random id with the same NOT_FOUND', async () => {
    const other = await TestTenant.create(ts, 'Other Clinic');
    const otherCoordinator = await other.user('CARE_COORDINATOR');
    const foreignPatient = await other.patient(otherCoordinator);
    const errors = [
      onlyError(await patientOf(outsider.token, patient.id)),
      onlyError(await patientOf(coordinator.token, foreignPatient.id)),
      onlyError(await patientOf(coordinator.token, crypto.randomUUID())),
    ];
    expect(errors[0]).toEqual({ message: expect.any(String), code: 'NOT_FOUND', field: 'id' });
    expect(errors[1]).toEqual(errors[0]);
    expect(errors[2]).toEqual(errors[0]);
    expect((await patientOf(otherCoordinator.token, foreignPatient.id)).data?.patient?.['id']).toBe(foreignPatient.id);
  });

  it('lets the patient read her own record', async () => {
    const res = await gqlOk<{ patient: Record<string, unknown> }>(
      ts.url,
      `query($id: ID!) { patient(id: $id) { id userId givenName deliveryDate phone infants { id } } }`,
      { id: patient.id },
      patient.user!.token,
    );
    expect(res.patient).toMatchObject({ id: patient.id, userId: patient.user!.id, givenName: 'Testa', phone: '+44 20 7946 0000', infants: [{ id: patient.infantId }] });
  });

  it('pages patients(first, after) over only the patients in scope, without overlap or gaps', async () => {
    const pagingCoordinator = await tenant.user('CARE_COORDINATOR');
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await tenant.patient(pagingCoordinator)).id);
    const { ids, pages } = await listAll(pagingCoordinator.token, 2);
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...mine].sort());
    expect(ids).not.toContain(patient.id);

    const own = await listAll(patient.user!.token, 2);
    expect(own.ids).toEqual([patient.id]);
    expect((await listAll(outsider.token, 5)).ids).toEqual([]);
  });

  it('lets a LACTATION_CONSULTANT on the team read name, phone and infants', async () => {
    const res = await patientOf(lactation.token, patient.id, `query($id: ID!) { patient(id: $id) { givenName phone infants { id } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.patient).toEqual({ givenName: 'Testa', phone: '+44 20 7946 0000', infants: [{ id: patient.infantId }] });
  });

  it('refuses a LACTATION_CONSULTANT the MATERNAL deliveryDate field with FORBIDDEN on that field', async () => {
    const res = await patientOf(lactation.token, patient.id, `query($id: ID!) { patient(id: $id) { givenName deliveryDate } }`);
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ path: ['patient', 'deliveryDate'], extensions: { code: 'FORBIDDEN' } });
    expect(res.data?.patient ?? null).toBeNull();
    expect(JSON.stringify(res)).not.toContain(daysAgo(10));
  });

  it('lets an ADMIN list patients and read names but refuses a MATERNAL field', async () => {
    const { ids } = await listAll(tenant.admin.token, 50);
    expect(ids).toContain(patient.id);
    const named = await patientOf(tenant.admin.token, patient.id);
    expect(named.data!.patient).toMatchObject({ id: patient.id, givenName: 'Testa' });

    const maternal = await patientOf(tenant.admin.token, patient.id, `query($id: ID!) { patient(id: $id) { givenName daysPostpartum } }`);
    expect(maternal.errors).toHaveLength(1);
    expect(maternal.errors![0]).toMatchObject({ path: ['patient', 'daysPostpartum'], extensions: { code: 'FORBIDDEN' } });
  });

  it('answers assignCareTeamMember by a coordinator not on that team with NOT_FOUND', async () => {
    const otherCoordinator = await tenant.user('CARE_COORDINATOR');
    const candidate = await tenant.user('MIDWIFE');
    expect(onlyError(await assign(otherCoordinator.token, patient.id, candidate.id, 'MIDWIFE'))).toMatchObject({ code: 'NOT_FOUND', field: 'patientId' });
    expect(onlyError(await assign(midwife.token, patient.id, candidate.id, 'MIDWIFE')).code).toBe('FORBIDDEN');
  });

  it('refuses a care-team role that differs from the user\'s tenant role with BAD_USER_INPUT on role', async () => {
    const candidate = await tenant.user('MIDWIFE');
    expect(onlyError(await assign(coordinator.token, patient.id, candidate.id, 'PRIMARY_CARE_PROVIDER'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'role',
    });
    const team = await gqlOk<{ patient: { careTeam: Array<{ userId: string }> } }>(ts.url, PATIENT_TEAM, { id: patient.id }, coordinator.token);
    expect(team.patient.careTeam.map((m) => m.userId)).not.toContain(candidate.id);
  });

  it('answers assigning the same clinician twice with CONFLICT', async () => {
    const candidate = await tenant.user('MENTAL_HEALTH_SPECIALIST');
    const first = await assign(coordinator.token, patient.id, candidate.id, 'MENTAL_HEALTH_SPECIALIST');
    expect(first.data).toEqual({ assignCareTeamMember: { patientId: patient.id, userId: candidate.id, role: 'MENTAL_HEALTH_SPECIALIST', displayName: expect.any(String) } });
    expect(onlyError(await assign(coordinator.token, patient.id, candidate.id, 'MENTAL_HEALTH_SPECIALIST')).code).toBe('CONFLICT');
  });

  it('answers the removed clinician with NOT_FOUND for patient(id) right after removeCareTeamMember', async () => {
    const gp = await tenant.user('PRIMARY_CARE_PROVIDER');
    const p = await tenant.patient(coordinator, { team: [gp] });
    expect((await patientOf(gp.token, p.id)).data?.patient?.['id']).toBe(p.id);
    expect(await gqlOk(ts.url, REMOVE, { p: p.id, u: gp.id }, coordinator.token)).toEqual({ removeCareTeamMember: true });
    expect(onlyError(await patientOf(gp.token, p.id))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect((await patientOf(coordinator.token, p.id)).data?.patient?.['id']).toBe(p.id);
    expect((await listAll(gp.token, 10)).ids).toEqual([]);
  });

  it('refuses createPatient with a future birthDate with BAD_USER_INPUT on input.birthDate and stores nothing', async () => {
    const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    const before = await listAll(coordinator.token, 50);
    const res = await gql(ts.url, CREATE_PATIENT, { input: patientInput({ birthDate: nextYear }) }, coordinator.token);
    expect(onlyError(res)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.birthDate' });
    expect(res.errors![0]!.message).not.toContain(nextYear);
    expect((await listAll(coordinator.token, 50)).ids).toEqual(before.ids);
  });
});
