import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import type { Role } from '../../src/db/entities/index.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, gql, gqlOk, quietPeriod, wsClient, type Collector } from '../helpers/graphql-client.js';
import { logMood, waitForLiveSince, type LiveEvent } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The access model restated as an oracle, independent of the code: which categories each relation
 * gives, which roles each operation admits, and what each operation needs. The matrix below checks
 * every role × every relation × every operation (and live events) against it.
 */
type Category = 'IDENTITY' | 'CONTACT' | 'MATERNAL' | 'MENTAL_HEALTH' | 'FEEDING' | 'INFANT' | 'CARE_TEAM';
const ALL: Category[] = ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM'];
const BY_CARE_TEAM_ROLE: Partial<Record<Role, Category[]>> = {
  PRIMARY_CARE_PROVIDER: ALL,
  MIDWIFE: ALL,
  CARE_COORDINATOR: ALL,
  MENTAL_HEALTH_SPECIALIST: ['IDENTITY', 'CONTACT', 'MENTAL_HEALTH', 'MATERNAL', 'CARE_TEAM'],
  LACTATION_CONSULTANT: ['IDENTITY', 'CONTACT', 'FEEDING', 'INFANT', 'CARE_TEAM'],
};
const ROLES: Role[] = ['PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR', 'RESEARCHER', 'COMPLIANCE_OFFICER', 'ADMIN'];
const CLINICIANS = ROLES.filter((r) => BY_CARE_TEAM_ROLE[r]);
const LOGGERS: Role[] = ['PATIENT', ...CLINICIANS];

/** How the caller stands to the patient in each column of the matrix. */
type Situation = 'OWN' | 'OTHER_IN_TENANT' | 'OTHER_TENANT' | 'AFTER_REMOVAL' | 'AFTER_CONSENT_REVOKED' | 'UNDER_BREAK_GLASS';
const SITUATIONS: Situation[] = ['OWN', 'OTHER_IN_TENANT', 'OTHER_TENANT', 'AFTER_REMOVAL', 'AFTER_CONSENT_REVOKED', 'UNDER_BREAK_GLASS'];

/** The categories the oracle says a role may read of the patient in a situation. */
function categories(role: Role, situation: Situation): Set<Category> {
  const clinical = BY_CARE_TEAM_ROLE[role];
  if (role === 'PATIENT') return new Set(situation === 'OWN' ? ALL : []);
  if (role === 'ADMIN') return new Set(situation === 'OTHER_TENANT' ? [] : ['IDENTITY', 'CARE_TEAM']);
  if (!clinical) return new Set();
  if (situation === 'OWN' || situation === 'AFTER_CONSENT_REVOKED') return new Set(clinical);
  if (situation === 'UNDER_BREAK_GLASS') return new Set(ALL);
  return new Set();
}

/** ALLOWED and EMPTY (a list filtered to nothing) are successes; the others are refusals. */
type Outcome = 'ALLOWED' | 'EMPTY' | 'NOT_FOUND' | 'FORBIDDEN';
interface Operation {
  readonly name: string;
  readonly roles: readonly Role[] | null;
  readonly needs: Category;
  run(url: string, token: string, p: TestPatient): Promise<{ outcome: Outcome; body: string }>;
}

async function outcomeOf(res: Awaited<ReturnType<typeof gql>>): Promise<{ outcome: Outcome; body: string }> {
  const code = res.errors?.[0]?.extensions?.code;
  const outcome: Outcome = !res.errors?.length ? 'ALLOWED' : code === 'NOT_FOUND' ? 'NOT_FOUND' : code === 'FORBIDDEN' ? 'FORBIDDEN' : (`unexpected ${code}` as Outcome);
  return { outcome, body: JSON.stringify(res) };
}

/** Runs a logging mutation for the patient and reports the outcome. */
const logging = (name: string, inputType: string, needs: Category, input: (p: TestPatient) => Record<string, unknown>): Operation => ({
  name, roles: LOGGERS, needs,
  run: async (url, token, p) => outcomeOf(await gql(url, `mutation($i: ${inputType}!) { ${name}(input: $i) { id } }`, { i: input(p) }, token)),
});

/** Reads one patient field of `category`; a caller who may see the patient but not the field gets a field-level FORBIDDEN. */
const patientField = (field: string, selection: string, needs: Category): Operation => ({
  name: `patient.${field}`, roles: null, needs,
  run: async (url, token, p) => outcomeOf(await gql(url, `query($id: ID!) { patient(id: $id) { id ${selection} } }`, { id: p.id }, token)),
});

const OPERATIONS: Operation[] = [
  { name: 'patient', roles: null, needs: 'IDENTITY', run: async (url, token, p) => outcomeOf(await gql(url, `query($id: ID!) { patient(id: $id) { id givenName } }`, { id: p.id }, token)) },
  {
    name: 'statusUpdates(MOOD)', roles: LOGGERS, needs: 'MENTAL_HEALTH',
    run: async (url, token, p) => {
      const res = await gql<{ statusUpdates: { edges: unknown[] } }>(url, `query($p: ID!) { statusUpdates(patientId: $p, kinds: [MOOD]) { edges { node { id data } } } }`, { p: p.id }, token);
      const result = await outcomeOf(res);
      // A grant without the category reads as an empty list, which the oracle counts as not allowed to see.
      return result.outcome === 'ALLOWED' && res.data?.statusUpdates.edges.length === 0 ? { ...result, outcome: 'EMPTY' } : result;
    },
  },
  { name: 'logMood', roles: LOGGERS, needs: 'MENTAL_HEALTH', run: async (url, token, p) => outcomeOf(await gql(url, `mutation($i: LogMoodInput!) { logMood(input: $i) { id } }`, { i: { patientId: p.id, score: 3 } }, token)) },
  {
    name: 'logFeeding', roles: LOGGERS, needs: 'FEEDING',
    run: async (url, token, p) => outcomeOf(await gql(url, `mutation($i: LogFeedingInput!) { logFeeding(input: $i) { id } }`, { i: { patientId: p.id, infantId: p.infantId, method: 'FORMULA' } }, token)),
  },
  logging('submitScreening', 'SubmitScreeningInput', 'MENTAL_HEALTH', (p) => ({ patientId: p.id, instrument: 'EPDS', answers: [0, 0, 0, 0, 0, 0, 0, 0, 0, 3] })),
  logging('logSleep', 'LogSleepInput', 'MATERNAL', (p) => ({ patientId: p.id, hours: 4 })),
  logging('logVitals', 'LogVitalsInput', 'MATERNAL', (p) => ({ patientId: p.id, systolic: 128, diastolic: 84 })),
  logging('logSymptoms', 'LogSymptomsInput', 'MATERNAL', (p) => ({ patientId: p.id, symptoms: ['PERSISTENT_HEADACHE'] })),
  logging('logInfantVitals', 'LogInfantVitalsInput', 'INFANT', (p) => ({ patientId: p.id, infantId: p.infantId, weightGrams: 3600 })),
  {
    name: 'addInfant', roles: ['PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'CARE_COORDINATOR'], needs: 'INFANT',
    run: async (url, token, p) => outcomeOf(await gql(url, `mutation($p: ID!, $i: AddInfantInput!) { addInfant(patientId: $p, input: $i) { id } }`,
      { p: p.id, i: { givenName: 'Twin', birthDate: '2026-11-01', birthWeightGrams: 2900 } }, token)),
  },
  patientField('deliveryDate', 'deliveryDate daysPostpartum', 'MATERNAL'),
  patientField('phone', 'phone email', 'CONTACT'),
  patientField('careTeam', 'careTeam { userId role }', 'CARE_TEAM'),
  patientField('infants', 'infants { id birthWeightGrams }', 'INFANT'),
  { name: 'consents', roles: ['PATIENT', ...CLINICIANS], needs: 'CARE_TEAM', run: async (url, token, p) => outcomeOf(await gql(url, `query($p: ID!) { consents(patientId: $p) { id } }`, { p: p.id }, token)) },
];

/** What the oracle expects of one operation for one role in one situation. */
function expected(op: Operation, role: Role, situation: Situation): Outcome {
  if (op.roles && !op.roles.includes(role)) return 'FORBIDDEN';
  const cats = categories(role, situation);
  if (op.name.startsWith('patient.')) return !cats.has('IDENTITY') ? 'NOT_FOUND' : cats.has(op.needs) ? 'ALLOWED' : 'FORBIDDEN';
  if (op.name === 'statusUpdates(MOOD)' && cats.size > 0 && !cats.has('MENTAL_HEALTH')) return 'EMPTY';
  return cats.has(op.needs) ? 'ALLOWED' : 'NOT_FOUND';
}

describe('authorisation matrix', () => {
  let ts: TestServer;
  const users = new Map<Role, TestUser>();
  const patients = new Map<Situation, TestPatient>();
  const secrets: string[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    ts = await startTestServer();
    const tenant = await TestTenant.create(ts);
    const otherTenant = await TestTenant.create(ts, 'Elsewhere');
    for (const role of ROLES) users.set(role, role === 'ADMIN' ? tenant.admin : await tenant.user(role));
    const clinicians = CLINICIANS.map((r) => users.get(r)!);
    const coordinator = users.get('CARE_COORDINATOR')!;
    const otherCoordinator = await tenant.user('CARE_COORDINATOR');
    const foreignCoordinator = await otherTenant.user('CARE_COORDINATOR');
    const team = clinicians.filter((u) => u !== coordinator);
    const own = await tenant.patient(coordinator, { team, withLogin: true });
    const other = await tenant.patient(otherCoordinator, { withLogin: true });
    const foreign = await otherTenant.patient(foreignCoordinator, { withLogin: true });
    const removed = await tenant.patient(otherCoordinator, { team: clinicians, withLogin: true });
    for (const u of clinicians) {
      await gqlOk(ts.url, `mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }`, { p: removed.id, u: u.id }, otherCoordinator.token);
    }
    const revoked = await tenant.patient(otherCoordinator, { team: clinicians, withLogin: true });
    const consent = await gqlOk<{ grantConsent: { id: string } }>(
      ts.url, `mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }`,
      { i: { patientId: revoked.id, type: 'DATA_SHARING', categories: ALL, version: 'v1' } }, revoked.user!.token,
    );
    await gqlOk(ts.url, `mutation($id: ID!) { revokeConsent(id: $id) { id } }`, { id: consent.grantConsent.id }, revoked.user!.token);
    const glass = await tenant.patient(otherCoordinator, { withLogin: true });
    for (const u of clinicians) {
      await gqlOk(ts.url, `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id } }`,
        { p: glass.id, j: 'Collapsed in clinic; her own team is unreachable tonight.' }, u.token);
    }
    const bySituation = { OWN: own, OTHER_IN_TENANT: other, OTHER_TENANT: foreign, AFTER_REMOVAL: removed, AFTER_CONSENT_REVOKED: revoked, UNDER_BREAK_GLASS: glass };
    for (const situation of SITUATIONS) patients.set(situation, bySituation[situation]);
    // The PATIENT caller is the mother of the OWN column; every other column is someone else.
    users.set('PATIENT', own.user!);
    for (const p of [own, other, foreign, removed, revoked, glass]) {
      await logMood(ts.url, p, 2);
      const read = await gqlOk<{ patient: { familyName: string; mrn: string; phone: string; email: string } }>(
        ts.url, `query($id: ID!) { patient(id: $id) { familyName mrn phone email } }`, { id: p.id }, p.user!.token,
      );
      secrets.push(read.patient.familyName, read.patient.mrn, read.patient.phone, read.patient.email);
    }
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  for (const op of OPERATIONS) {
    it(`${op.name}: every role in every situation gets what the access model says, and refusals leak nothing`, async () => {
      const mismatches: string[] = [];
      for (const role of ROLES) {
        for (const situation of SITUATIONS) {
          const patient = patients.get(situation)!;
          const want = expected(op, role, situation);
          const { outcome, body } = await op.run(ts.url, users.get(role)!.token, patient);
          if (outcome !== want) mismatches.push(`${role} × ${situation}: expected ${want}, got ${outcome}`);
          if (outcome === 'NOT_FOUND' || outcome === 'FORBIDDEN') for (const secret of secrets) if (body.includes(secret)) mismatches.push(`${role} × ${situation}: refusal leaked a value`);
        }
      }
      expect(mismatches).toEqual([]);
    }, 120_000);
  }

  it('live events: each role receives a MOOD update in exactly the situations the model allows', async () => {
    const subscriptions: Array<{ role: Role; situation: Situation; live: Collector<LiveEvent> }> = [];
    const before = ts.server.services.feed.openedCount;
    let expectedLive = 0;
    for (const role of ROLES) {
      for (const situation of SITUATIONS) {
        const client = wsClient(ts.wsUrl, users.get(role)!.token);
        clients.push(client);
        const patient = patients.get(situation)!;
        const live = collect<LiveEvent>(client, `subscription($p: [ID!]) { patientUpdates(patientIds: $p, kinds: [MOOD]) { cursor update { id data } } }`, { p: [patient.id] });
        subscriptions.push({ role, situation, live });
        if (LOGGERS.includes(role)) expectedLive += 1;
      }
    }
    await waitForLiveSince(ts, before + expectedLive - 1);
    for (const p of patients.values()) await logMood(ts.url, p, 1);
    await quietPeriod(1500);
    const mismatches: string[] = [];
    for (const { role, situation, live } of subscriptions) {
      const allowed = LOGGERS.includes(role) && categories(role, situation).has('MENTAL_HEALTH');
      const got = live.received.length;
      if (allowed && got !== 1) mismatches.push(`${role} × ${situation}: expected 1 event, got ${got}`);
      if (!allowed && got !== 0) mismatches.push(`${role} × ${situation}: expected no event, got ${got}`);
      if (!LOGGERS.includes(role) && !JSON.stringify(live.errors).includes('FORBIDDEN')) mismatches.push(`${role} × ${situation}: expected FORBIDDEN`);
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
