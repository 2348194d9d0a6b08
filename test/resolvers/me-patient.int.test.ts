import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface Me {
  me: { id: string; role: string; patient: { id: string; userId: string | null; familyName: string } | null };
}

const ME_PATIENT = '{ me { id role patient { id userId familyName } } }';

describe('me.patient', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let mother: TestPatient;
  let other: TestPatient;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    [mother, other] = [await tenant.patient(coordinator, { withLogin: true }), await tenant.patient(coordinator, { withLogin: true })];
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('leads a PATIENT from me to her own patient record', async () => {
    const { me } = await gqlOk<Me>(ts.url, ME_PATIENT, {}, mother.user!.token);
    expect(me.id).toBe(mother.user!.id);
    expect(me.patient?.id).toBe(mother.id);
    expect(me.patient?.userId).toBe(mother.user!.id);
    expect((await gqlOk<Me>(ts.url, ME_PATIENT, {}, other.user!.token)).me.patient?.id).toBe(other.id);
  });

  it('gives the patientId a patient then logs with', async () => {
    const { me } = await gqlOk<Me>(ts.url, ME_PATIENT, {}, mother.user!.token);
    const logged = await gqlOk<{ logMood: { patient: { id: string } } }>(
      ts.url,
      'mutation($input: LogMoodInput!) { logMood(input: $input) { patient { id } } }',
      { input: { patientId: me.patient!.id, score: 4 } },
      mother.user!.token,
    );
    expect(logged.logMood.patient.id).toBe(mother.id);
  });

  it('is null for a clinician and an admin, who have patients but no record of their own', async () => {
    const midwife = await tenant.user('MIDWIFE');
    for (const user of [coordinator, midwife, tenant.admin]) {
      const { me } = await gqlOk<Me>(ts.url, ME_PATIENT, {}, user.token);
      expect(me).toEqual({ id: user.id, role: user.role, patient: null });
    }
  });

  it('is null for a patient account no record is linked to yet', async () => {
    const unlinked = await tenant.user('PATIENT');
    expect((await gqlOk<Me>(ts.url, ME_PATIENT, {}, unlinked.token)).me).toEqual({ id: unlinked.id, role: 'PATIENT', patient: null });
  });

  it("is null on a user other than the caller: an admin's new PATIENT account does not lead to any record", async () => {
    const created = await gqlOk<{ createUser: { patient: unknown } }>(
      ts.url,
      'mutation($input: CreateUserInput!) { createUser(input: $input) { patient { id } } }',
      { input: { email: `new-mother-${Date.now()}@test.example`, password: TEST_PASSWORD, role: 'PATIENT', displayName: 'New' } },
      tenant.admin.token,
    );
    expect(created.createUser.patient).toBeNull();
  });

  it('is null in the login payload, which runs before her tenant is known, and leads to her record from me right after', async () => {
    const data = await gqlOk<{ login: { accessToken: string; user: { id: string; patient: unknown } } }>(
      ts.url,
      'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id patient { id } } } }',
      { email: mother.user!.email, password: TEST_PASSWORD },
    );
    expect(data.login.user).toEqual({ id: mother.user!.id, patient: null });
    expect((await gqlOk<Me>(ts.url, ME_PATIENT, {}, data.login.accessToken)).me.patient?.id).toBe(mother.id);
  });
});
