import { createUser } from '../../src/auth/user.service.js';
import { Tenant, type ClinicalRole, type Role } from '../../src/db/entities/index.js';
import { gqlOk } from './graphql-client.js';
import type { TestServer } from './test-server.js';

/** A signed-in test user. */
export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly token: string;
}

/** A test patient with one infant. */
export interface TestPatient {
  readonly id: string;
  readonly infantId: string;
  /** Her own login, when created with `withLogin`. */
  readonly user: TestUser | null;
}

/** Options for {@link TestTenant.patient}. */
export interface PatientOptions {
  /** Clinicians to assign to her care team, each in their own role. */
  readonly team?: readonly TestUser[];
  /** Whether she gets her own PATIENT login. */
  readonly withLogin?: boolean;
  /** YYYY-MM-DD; ten days ago by default. */
  readonly deliveryDate?: string;
  /** Her phone number; `+44 20 7946 0000` by default. */
  readonly phone?: string;
  /** Her infant's name and birth weight in grams; `Baby`, 3400 g by default. */
  readonly infant?: { readonly givenName: string; readonly birthWeightGrams: number };
}

export const TEST_PASSWORD = 'amber lantern quietly folds';

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id role } } }`;

/** Signs in and returns the access token. */
export async function signIn(url: string, email: string, password = TEST_PASSWORD): Promise<string> {
  const data = await gqlOk<{ login: { accessToken: string } }>(url, LOGIN, { email, password });
  return data.login.accessToken;
}

/** A tenant with its ADMIN, and builders for users and patients in it. */
export class TestTenant {
  private constructor(
    private readonly ts: TestServer,
    readonly id: string,
    readonly admin: TestUser,
  ) {}

  /** Creates a tenant and its first ADMIN the way `cradle tenant:create` does, then signs the admin in. */
  static async create(ts: TestServer, name = 'Test Clinic'): Promise<TestTenant> {
    const em = ts.server.database.orm.em.fork();
    const email = `admin-${unique()}@test.example`;
    const { tenantId, adminId } = await em.transactional(async (tx) => {
      const tenant = tx.create(Tenant, { id: crypto.randomUUID(), name, eventSeq: 0 });
      await tx.flush();
      const admin = await createUser(tx, { tenantId: tenant.id, email, password: TEST_PASSWORD, role: 'ADMIN', displayName: 'Admin' });
      return { tenantId: tenant.id, adminId: admin.id };
    });
    const token = await signIn(ts.url, email);
    return new TestTenant(ts, tenantId, { id: adminId, email, role: 'ADMIN', token });
  }

  /**
   * The calendar date `days` before the server's clock (not the machine's: a test server may run
   * on a fixed clock, and a date "10 days ago" by the wall clock drifts into its future as the
   * calendar moves on).
   */
  private daysAgo(days: number): string {
    return new Date(this.ts.server.services.now() - days * 86_400_000).toISOString().slice(0, 10);
  }

  /** Creates a user through the API (as the ADMIN) and signs it in. */
  async user(role: Role, displayName = `${role} ${unique()}`): Promise<TestUser> {
    const email = `${role.toLowerCase()}-${unique()}@test.example`;
    const data = await gqlOk<{ createUser: { id: string } }>(
      this.ts.url,
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { email, password: TEST_PASSWORD, role, displayName } },
      this.admin.token,
    );
    return { id: data.createUser.id, email, role, token: await signIn(this.ts.url, email) };
  }

  /**
   * Creates a patient through the API as `coordinator` (who joins her team), adds an infant and
   * assigns `team`. With `withLogin`, she also gets her own PATIENT login. `phone` and `infant`
   * replace the defaults every patient shares (for tests that tell patients apart by their values).
   */
  async patient(coordinator: TestUser, options: PatientOptions = {}): Promise<TestPatient> {
    const user = options.withLogin ? await this.user('PATIENT') : null;
    const created = await gqlOk<{ createPatient: { id: string } }>(
      this.ts.url,
      `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`,
      {
        input: {
          userId: user?.id ?? null,
          givenName: 'Testa',
          familyName: `Patient${unique()}`,
          birthDate: '1992-04-01',
          deliveryDate: options.deliveryDate ?? this.daysAgo(10),
          mrn: `MRN-${unique()}`,
          phone: options.phone ?? '+44 20 7946 0000',
          email: `mother-${unique()}@test.example`,
        },
      },
      coordinator.token,
    );
    const patientId = created.createPatient.id;
    for (const member of options.team ?? []) {
      await gqlOk(
        this.ts.url,
        `mutation($p: ID!, $u: ID!, $r: CareTeamRole!) { assignCareTeamMember(patientId: $p, userId: $u, role: $r) { id } }`,
        { p: patientId, u: member.id, r: member.role as ClinicalRole },
        coordinator.token,
      );
    }
    const infant = await gqlOk<{ addInfant: { id: string } }>(
      this.ts.url,
      `mutation($p: ID!, $input: AddInfantInput!) { addInfant(patientId: $p, input: $input) { id } }`,
      { p: patientId, input: { givenName: options.infant?.givenName ?? 'Baby', birthDate: this.daysAgo(10), birthWeightGrams: options.infant?.birthWeightGrams ?? 3400 } },
      coordinator.token,
    );
    return { id: patientId, infantId: infant.addInfant.id, user };
  }
}
