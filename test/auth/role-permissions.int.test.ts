import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { logFeeding, logMood, PATIENT_UPDATES, receivedIds, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const ROLE_PERMISSIONS = `{ rolePermissions { role categories } }`;
const SET = `mutation($role: Role!, $categories: [DataCategory!]!) { setRolePermissions(role: $role, categories: $categories) { role categories } }`;
const UPDATES = `query($p: ID!) { statusUpdates(patientId: $p, first: 50) { edges { node { id kind } } } }`;

type Permissions = { rolePermissions: Array<{ role: string; categories: string[] }> };

/** The model every new tenant starts with (`docs/access-model.md`). */
const DEFAULT_MODEL = {
  PRIMARY_CARE_PROVIDER: ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM'],
  MIDWIFE: ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM'],
  LACTATION_CONSULTANT: ['IDENTITY', 'CONTACT', 'FEEDING', 'INFANT', 'CARE_TEAM'],
  MENTAL_HEALTH_SPECIALIST: ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'CARE_TEAM'],
  CARE_COORDINATOR: ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM'],
  ADMIN: ['IDENTITY', 'CARE_TEAM'],
};

describe('roles and permissions as data', () => {
  let ts: TestServer;
  let clinic: TestTenant;
  let other: TestTenant;
  let coordinator: TestUser;
  let lactation: TestUser;
  let patient: TestPatient;

  const permissionsOf = async (tenant: TestTenant) =>
    Object.fromEntries((await gqlOk<Permissions>(ts.url, ROLE_PERMISSIONS, {}, tenant.admin.token)).rolePermissions.map((r) => [r.role, r.categories]));
  const visibleKinds = async (user: TestUser) =>
    (await gqlOk<{ statusUpdates: { edges: Array<{ node: { kind: string } }> } }>(ts.url, UPDATES, { p: patient.id }, user.token)).statusUpdates.edges.map((e) => e.node.kind);

  beforeAll(async () => {
    ts = await startTestServer();
    clinic = await TestTenant.create(ts);
    other = await TestTenant.create(ts, 'Other Clinic');
    coordinator = await clinic.user('CARE_COORDINATOR');
    lactation = await clinic.user('LACTATION_CONSULTANT');
    patient = await clinic.patient(coordinator, { team: [lactation], withLogin: true });
    await logMood(ts.url, patient, 2);
    await logFeeding(ts.url, patient);
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('gives every new tenant the default model, readable by the admin and the compliance officer only', async () => {
    expect(await permissionsOf(clinic)).toEqual(DEFAULT_MODEL);
    const officer = await clinic.user('COMPLIANCE_OFFICER');
    expect((await gqlOk<Permissions>(ts.url, ROLE_PERMISSIONS, {}, officer.token)).rolePermissions).toHaveLength(6);
    expect(errorOf(await gql(ts.url, ROLE_PERMISSIONS, {}, coordinator.token)).code).toBe('FORBIDDEN');
    expect(errorOf(await gql(ts.url, SET, { role: 'MIDWIFE', categories: ['IDENTITY'] }, coordinator.token)).code).toBe('FORBIDDEN');
  });

  it("widens a role's categories for the next request when the admin adds one", async () => {
    expect(await visibleKinds(lactation)).toEqual(['FEEDING']);
    await gqlOk(ts.url, SET, { role: 'LACTATION_CONSULTANT', categories: [...DEFAULT_MODEL.LACTATION_CONSULTANT, 'MENTAL_HEALTH'] }, clinic.admin.token);
    expect((await visibleKinds(lactation)).sort()).toEqual(['FEEDING', 'MOOD']);
    await gqlOk(ts.url, SET, { role: 'LACTATION_CONSULTANT', categories: DEFAULT_MODEL.LACTATION_CONSULTANT }, clinic.admin.token);
    expect(await visibleKinds(lactation)).toEqual(['FEEDING']);
  });

  it('stops a live subscription delivering a category the moment it is taken away, and keeps the socket for the rest', async () => {
    const client = wsClient(ts.wsUrl, lactation.token);
    try {
      const live = await subscribeLive(ts, client, PATIENT_UPDATES, { patientIds: [patient.id] });
      const before = await logFeeding(ts.url, patient);
      await live.waitFor(1);
      await gqlOk(ts.url, SET, { role: 'LACTATION_CONSULTANT', categories: ['IDENTITY', 'CONTACT', 'INFANT', 'CARE_TEAM'] }, clinic.admin.token);
      await logFeeding(ts.url, patient);
      const weighed = await gqlOk<{ logInfantVitals: { id: string } }>(
        ts.url,
        `mutation($input: LogInfantVitalsInput!) { logInfantVitals(input: $input) { id } }`,
        { input: { patientId: patient.id, infantId: patient.infantId, weightGrams: 3500 } },
        patient.user!.token,
      );
      await live.waitFor(2);
      await quietPeriod(300);
      expect(receivedIds(live)).toEqual([before.id, weighed.logInfantVitals.id]);
      expect(live.errors).toEqual([]);
    } finally {
      await client.dispose();
      await gqlOk(ts.url, SET, { role: 'LACTATION_CONSULTANT', categories: DEFAULT_MODEL.LACTATION_CONSULTANT }, clinic.admin.token);
    }
  });

  it('leaves other tenants untouched by one tenant\'s change', async () => {
    await gqlOk(ts.url, SET, { role: 'MIDWIFE', categories: ['IDENTITY', 'MATERNAL'] }, clinic.admin.token);
    expect((await permissionsOf(other)).MIDWIFE).toEqual(DEFAULT_MODEL.MIDWIFE);
    expect((await permissionsOf(clinic)).MIDWIFE).toEqual(['IDENTITY', 'MATERNAL']);
    await gqlOk(ts.url, SET, { role: 'MIDWIFE', categories: DEFAULT_MODEL.MIDWIFE }, clinic.admin.token);
  });

  it('refuses clinical data for administrators, care-team roles without IDENTITY, repeats and other roles, changing nothing', async () => {
    const cases: Array<[string, string[]]> = [
      ['ADMIN', ['IDENTITY', 'MENTAL_HEALTH']],
      ['MIDWIFE', ['MATERNAL']],
      ['MIDWIFE', ['IDENTITY', 'IDENTITY']],
      ['RESEARCHER', ['IDENTITY']],
      ['PATIENT', ['IDENTITY']],
    ];
    for (const [role, categories] of cases) {
      const res = await gql(ts.url, SET, { role, categories }, clinic.admin.token);
      expect(errorOf(res).code, `${role} ${categories.join(',')}`).toBe('BAD_USER_INPUT');
      expect(errorOf(res).field).toMatch(/^(categories|role)$/);
    }
    expect(await permissionsOf(clinic)).toEqual(DEFAULT_MODEL);
  });
});
