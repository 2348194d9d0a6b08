import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { ClinicalRole, Role } from '../../../src/db/entities/index.js';
import { gqlOk } from '../../helpers/graphql-client.js';
import { CradleInstance, type HeapReading } from './cradle-instance.js';
import { PostgresCluster, RedisServer } from './service-process.js';

/** A signed-in user of the fault suite's tenant. */
export interface FaultUser {
  readonly id: string;
  readonly role: Role;
  readonly token: string;
}

/** A patient with her own login. */
export interface FaultPatient {
  readonly id: string;
  readonly user: FaultUser;
}

/**
 * The people of a fault scenario, chosen so entitlement is known without asking the server:
 * - `p1`, `p2`, `p3` write their own moods; each patient may see only her own.
 * - `coordinator` created every patient and is on every care team: sees all three.
 * - `midwife` is on the teams of p1 and p2 (moods are routed to midwives): sees p1 and p2.
 * - `lactation` is on p1's team, but moods are neither in her grant nor routed to her: a decoy.
 * - `outsider` is a midwife on no team: a decoy.
 */
export interface FaultCast {
  readonly tenantId: string;
  readonly coordinator: FaultUser;
  readonly midwife: FaultUser;
  readonly lactation: FaultUser;
  readonly outsider: FaultUser;
  readonly p1: FaultPatient;
  readonly p2: FaultPatient;
  readonly p3: FaultPatient;
}

const PASSWORD = 'fault suite password, long enough';
const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`;
const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const CREATE_PATIENT = `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`;
const ASSIGN = `mutation($p: ID!, $u: ID!, $r: CareTeamRole!) { assignCareTeamMember(patientId: $p, userId: $u, role: $r) { id } }`;

/**
 * A deployment of the fault suite: its own PostgreSQL cluster and Redis (child processes on their
 * own ports, so the shared services are untouched) and Cradle instances as child processes of the
 * compiled server, all configured alike (one token secret and KEK, so tokens and encrypted fields
 * work on every instance).
 */
export class FaultDeployment {
  readonly instances: CradleInstance[] = [];
  private readonly pool: pg.Pool;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'cradle-faults-data-'));
  private started = 0;

  private constructor(
    readonly postgres: PostgresCluster,
    readonly redis: RedisServer,
    private readonly buildDir: string,
    readonly env: Readonly<Record<string, string>>,
  ) {
    this.pool = new pg.Pool({ connectionString: postgres.url, max: 4, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
    // The suite restarts PostgreSQL on purpose: idle clients that lose their connection are dropped.
    this.pool.on('error', () => undefined);
  }

  /** Starts PostgreSQL, Redis and `instances` Cradle servers (one after another: migrations). */
  static async start(buildDir: string, instances: number, env: Readonly<Record<string, string>> = {}): Promise<FaultDeployment> {
    const [postgres, redis] = await Promise.all([PostgresCluster.create(), RedisServer.create()]);
    const deployment = new FaultDeployment(postgres, redis, buildDir, {
      HOST: '127.0.0.1',
      PORT: '0',
      CRADLE_METRICS_PORT: '0',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `faults_${randomUUID().slice(0, 8)}:`,
      CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex'),
      CRADLE_KEK: randomBytes(32).toString('base64'),
      CRADLE_DEMO_SEED: 'false',
      LOG_LEVEL: 'warn',
      CRADLE_RELAY_POLL_MS: '200',
      CRADLE_SHUTDOWN_GRACE_MS: '2000',
      ...env,
    });
    try {
      for (let i = 0; i < instances; i++) await deployment.addInstance();
    } catch (err) {
      // Otherwise the cluster and Redis outlive a run whose server does not start.
      await deployment.close();
      throw err;
    }
    return deployment;
  }

  /** Starts one more Cradle instance of this deployment. */
  async addInstance(): Promise<CradleInstance> {
    const name = `cradle-${String.fromCharCode(97 + this.started++)}`;
    const instance = await CradleInstance.start(name, this.buildDir, { ...this.env, CRADLE_DATA_DIR: join(this.dataDir, name) });
    this.instances.push(instance);
    return instance;
  }

  /** The instances still running. */
  get alive(): CradleInstance[] {
    return this.instances.filter((i) => i.alive);
  }

  /** Runs SQL on the deployment's database (to check what is stored, bypassing the API). */
  async sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(query, params)).rows as T[];
  }

  /** Heap after a forced GC of every running instance, by instance name. */
  async heaps(): Promise<Map<string, HeapReading>> {
    const alive = this.alive;
    return new Map(await Promise.all(alive.map(async (i) => [i.name, await i.heapAfterGc()] as const)));
  }

  /**
   * Creates the tenant with `cradle tenant:create` (the compiled CLI, as an operator would), then
   * the users and patients of {@link FaultCast} through the API of the first instance.
   */
  async createCast(): Promise<FaultCast> {
    const url = this.instances[0]!.url;
    const signIn = async (email: string) => (await gqlOk<{ login: { accessToken: string } }>(url, LOGIN, { email, password: PASSWORD })).login.accessToken;
    const adminEmail = `admin-${randomUUID().slice(0, 8)}@faults.example`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(this.buildDir, 'src/cli.js'), 'tenant:create', '--name', 'Fault Clinic', '--admin-email', adminEmail, '--admin-password', PASSWORD],
      { env: { PATH: process.env['PATH'] ?? '', ...this.env, LOG_LEVEL: 'silent', CRADLE_DATA_DIR: join(this.dataDir, 'cli') }, timeout: 120_000 },
    );
    const { tenantId } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { tenantId: string };
    const adminToken = await signIn(adminEmail);
    const user = async (role: Role): Promise<FaultUser> => {
      const email = `${role.toLowerCase()}-${randomUUID().slice(0, 8)}@faults.example`;
      const created = await gqlOk<{ createUser: { id: string } }>(url, CREATE_USER, { input: { email, password: PASSWORD, role, displayName: `${role} ${email.slice(-20, -15)}` } }, adminToken);
      return { id: created.createUser.id, role, token: await signIn(email) };
    };
    const coordinator = await user('CARE_COORDINATOR');
    const midwife = await user('MIDWIFE');
    const lactation = await user('LACTATION_CONSULTANT');
    const outsider = await user('MIDWIFE');
    const patient = async (team: readonly FaultUser[]): Promise<FaultPatient> => {
      const own = await user('PATIENT');
      const created = await gqlOk<{ createPatient: { id: string } }>(url, CREATE_PATIENT, {
        input: {
          userId: own.id,
          givenName: 'Faulta',
          familyName: `Patient${randomUUID().slice(0, 6)}`,
          birthDate: '1991-03-02',
          deliveryDate: new Date(Date.now() - 9 * 86_400_000).toISOString().slice(0, 10),
          mrn: `MRN-${randomUUID().slice(0, 10)}`,
          phone: '+44 20 7946 0001',
          email: `mother-${randomUUID().slice(0, 8)}@faults.example`,
        },
      }, coordinator.token);
      const id = created.createPatient.id;
      for (const member of team) await gqlOk(url, ASSIGN, { p: id, u: member.id, r: member.role as ClinicalRole }, coordinator.token);
      return { id, user: own };
    };
    const p1 = await patient([midwife, lactation]);
    const p2 = await patient([midwife]);
    const p3 = await patient([]);
    return { tenantId, coordinator, midwife, lactation, outsider, p1, p2, p3 };
  }

  /** Stops every instance, Redis and PostgreSQL, and deletes their files. */
  async close(): Promise<void> {
    await Promise.allSettled(this.instances.map((i) => i.stop()));
    await this.pool.end().catch(() => undefined);
    await Promise.allSettled([this.redis.kill(), this.postgres.destroy()]);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
