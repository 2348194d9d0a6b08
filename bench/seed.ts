import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../src/auth/password.js';
import { AccessTokenIssuer } from '../src/auth/tokens.js';
import type { Config } from '../src/config.js';
import { AuthSession, CareTeamMember, Patient, Tenant, User, type ClinicalRole, type Role } from '../src/db/entities/index.js';
import type { Database } from '../src/db/orm.js';

/**
 * Who an event is entitled to reach: `patient` (1: the patient herself), `team` (~10: her care
 * team) or `all` (every active subscriber: a unit-wide dashboard).
 */
export type EntitlementShape = 'patient' | 'team' | 'all';

/** What to seed for one scenario. */
export interface SeedSpec {
  readonly shape: EntitlementShape;
  /** Subscribers in total, decoys included. */
  readonly subscribers: number;
  /** Patients each clinician follows in the `team` shape (topics per subscriber); 1 elsewhere. */
  readonly topics: number;
  /** Share of subscribers who are entitled to nothing and must receive nothing (0.1). */
  readonly decoyFraction: number;
}

/** One bench subscriber: a signed-in user and the patients whose events it must receive. */
export interface BenchSubscriber {
  readonly userId: string;
  readonly role: Role;
  /** The user's session, which {@link signTokens} binds a fresh token to. */
  readonly sessionId: string;
  readonly token: string;
  readonly entitled: ReadonlySet<string>;
  readonly decoy: boolean;
}

/** What a seeded scenario holds, for the load generator and the delivery tracker. */
export interface SeededWorld {
  readonly spec: SeedSpec;
  readonly tenantId: string;
  /** A care coordinator on every patient's team who sends the mutations and never subscribes. */
  readonly writerId: string;
  readonly writerSessionId: string;
  readonly writerToken: string;
  readonly patients: readonly string[];
  readonly subscribers: readonly BenchSubscriber[];
  /** How many subscribers each patient's events must reach. */
  readonly fanOut: ReadonlyMap<string, number>;
}

/** Care-team roles to whom Cradle's default routing sends MOOD updates (so every system has the same audience). */
const MOOD_ROLES: readonly ClinicalRole[] = ['MIDWIFE', 'PRIMARY_CARE_PROVIDER', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'];
const TEAM_SIZE = 10;
const DASHBOARD_PATIENTS = 10;
/** Lifetime of the seeded sessions (tokens live as long as the servers allow: see {@link signTokens}). */
const SESSION_TTL_SECONDS = 12 * 3600;
const BATCH = 500;

/**
 * Seeds one scenario through Cradle's ORM entities (so field encryption and any other entity-level
 * behaviour apply exactly as when the API writes): a tenant (its role permissions come from the
 * database trigger), patients, clinicians or patient logins, care-team memberships, one session per
 * user, and an access token per user signed with the server's key. Users never log in, so one
 * password hash is shared.
 */
export async function seedWorld(database: Database, config: Readonly<Config>, spec: SeedSpec): Promise<SeededWorld> {
  const orm = database.orm;
  const passwordHash = await hashPassword(randomBytes(16).toString('hex'));
  const decoys = Math.round(spec.subscribers * spec.decoyFraction);
  const active = spec.subscribers - decoys;
  const now = Date.now();
  const tenantId = crypto.randomUUID();
  const writerId = crypto.randomUUID();
  await orm.em.fork().transactional(async (tx) => {
    tx.create(Tenant, { id: tenantId, name: 'Bench Unit', eventSeq: 0 });
    tx.create(User, { id: writerId, tenantId, email: `writer-${tenantId}@bench.example`, passwordHash, role: 'CARE_COORDINATOR', displayName: 'Bench Writer' });
  });

  const patientCount = spec.shape === 'patient' ? active : spec.shape === 'team' ? Math.ceil((active * spec.topics) / TEAM_SIZE) : DASHBOARD_PATIENTS;
  const patients = Array.from({ length: patientCount }, () => crypto.randomUUID());
  const users: Array<{ id: string; role: Role }> = [];
  for (let i = 0; i < active; i++) users.push({ id: crypto.randomUUID(), role: spec.shape === 'patient' ? 'PATIENT' : MOOD_ROLES[i % MOOD_ROLES.length]! });
  for (let i = 0; i < decoys; i++) users.push({ id: crypto.randomUUID(), role: 'MIDWIFE' });

  /** Memberships as [patient index, active user index]. */
  const memberships: Array<[number, number]> = [];
  if (spec.shape === 'team') {
    for (let slot = 0; slot < active * spec.topics; slot++) memberships.push([Math.floor(slot / TEAM_SIZE), slot % active]);
  } else if (spec.shape === 'all') {
    for (let p = 0; p < patientCount; p++) for (let u = 0; u < active; u++) memberships.push([p, u]);
  }

  await inBatches(orm.em.fork(), users.length, (em, i) => {
    const user = users[i]!;
    em.create(User, { id: user.id, tenantId, email: `u${i}-${tenantId}@bench.example`, passwordHash, role: user.role, displayName: `Bench User ${i}` });
  });
  const delivery = new Date(now - 10 * 86_400_000).toISOString().slice(0, 10);
  await inBatches(orm.em.fork(), patientCount, (em, i) => {
    em.create(Patient, {
      id: patients[i]!, tenantId, userId: spec.shape === 'patient' ? users[i]!.id : null,
      givenName: 'Bench', familyName: `Patient ${i}`, birthDate: '1992-04-01', deliveryDate: delivery,
      mrn: null, phone: null, email: null, createdBy: writerId,
    });
  });
  const rows: Array<{ patient: string; user: string; role: ClinicalRole }> = memberships.map(([p, u]) => ({ patient: patients[p]!, user: users[u]!.id, role: users[u]!.role as ClinicalRole }));
  for (const patient of patients) rows.push({ patient, user: writerId, role: 'CARE_COORDINATOR' });
  await inBatches(orm.em.fork(), rows.length, (em, i) => {
    const row = rows[i]!;
    em.create(CareTeamMember, { id: crypto.randomUUID(), tenantId, patientId: row.patient, userId: row.user, role: row.role, assignedBy: writerId });
  });

  const sessionUsers = [...users, { id: writerId, role: 'CARE_COORDINATOR' as Role }];
  const sessions = sessionUsers.map(() => crypto.randomUUID());
  await inBatches(orm.em.fork(), sessionUsers.length, (em, i) => {
    em.create(AuthSession, {
      id: sessions[i]!, tenantId, userId: sessionUsers[i]!.id, familyId: sessions[i]!, parentId: null,
      refreshTokenHash: createHash('sha256').update(sessions[i]!).digest('hex'), refreshedAt: null,
      createdAt: new Date(now), lastSeenAt: new Date(now), idleExpiresAt: new Date(now + SESSION_TTL_SECONDS * 1000),
      absoluteExpiresAt: new Date(now + SESSION_TTL_SECONDS * 1000), revokedAt: null, revokedReason: null,
    });
  });

  const entitled: Array<Set<string>> = users.map(() => new Set());
  if (spec.shape === 'patient') for (let i = 0; i < active; i++) entitled[i]!.add(patients[i]!);
  for (const [p, u] of memberships) entitled[u]!.add(patients[p]!);
  const fanOut = new Map<string, number>(patients.map((p) => [p, 0]));
  for (const set of entitled) for (const p of set) fanOut.set(p, fanOut.get(p)! + 1);
  return signTokens(
    {
      spec,
      tenantId,
      writerId,
      writerSessionId: sessions[sessions.length - 1]!,
      writerToken: '',
      patients,
      subscribers: users.map((u, i) => ({ userId: u.id, role: u.role, sessionId: sessions[i]!, token: '', entitled: entitled[i]!, decoy: i >= active })),
      fanOut,
    },
    config,
  );
}

/**
 * Signs a fresh access token for every user of `world` (bound to the user's seeded session) with
 * the servers' key and the servers' configured lifetime, `config.accessTokenTtlSeconds`: the
 * servers refuse a token valid for longer than that, so the seed must not outlive it. The driver
 * calls this before every round, so a run longer than one token lifetime keeps working.
 */
export async function signTokens(world: SeededWorld, config: Readonly<Config>): Promise<SeededWorld> {
  const issuer = new AccessTokenIssuer(config.tokenKeyId, { [config.tokenKeyId]: config.tokenSecret }, config.accessTokenTtlSeconds);
  const sign = async (userId: string, role: Role, sessionId: string) => (await issuer.issue({ id: userId, tenantId: world.tenantId, role }, sessionId)).token;
  return {
    ...world,
    writerToken: await sign(world.writerId, 'CARE_COORDINATOR', world.writerSessionId),
    subscribers: await Promise.all(world.subscribers.map(async (s) => ({ ...s, token: await sign(s.userId, s.role, s.sessionId) }))),
  };
}

/** Creates `count` entities through `make`, flushing every {@link BATCH} in its own transaction. */
async function inBatches(root: EntityManager, count: number, make: (em: EntityManager, index: number) => void): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const em = root.fork();
    await em.transactional(async (tx) => {
      for (let i = start; i < Math.min(count, start + BATCH); i++) make(tx, i);
    });
  }
}
