import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, type GqlResponse } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** What every logging mutation returns, as these tests select it. */
interface Logged {
  id: string;
  kind: string;
  recordedBy: string;
  infantId: string | null;
  data: Record<string, unknown>;
  cursor: string;
}

const UPDATE_FIELDS = 'id kind recordedBy infantId data cursor';

/** The input type of each logging mutation. */
const INPUT_TYPES = {
  logMood: 'LogMoodInput',
  logFeeding: 'LogFeedingInput',
  logSleep: 'LogSleepInput',
  logVitals: 'LogVitalsInput',
  logInfantVitals: 'LogInfantVitalsInput',
  logSymptoms: 'LogSymptomsInput',
  submitScreening: 'SubmitScreeningInput',
} as const;
type LogMutation = keyof typeof INPUT_TYPES;

const STATUS_UPDATES = `query($p: ID!, $kinds: [StatusKind!], $first: Int, $after: String) {
  statusUpdates(patientId: $p, kinds: $kinds, first: $first, after: $after) {
    edges { cursor node { id kind recordedBy } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Page {
  edges: Array<{ cursor: string; node: { id: string; kind: string; recordedBy: string } }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('status updates', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let midwife: TestUser;
  let lactation: TestUser;
  let mentalHealth: TestUser;
  let outsider: TestUser;

  /** Sends one logging mutation as `token` (anonymous when omitted). */
  const send = (mutation: LogMutation, input: Record<string, unknown>, token?: string): Promise<GqlResponse<Record<string, Logged | null>>> =>
    gql(ts.url, `mutation($input: ${INPUT_TYPES[mutation]}!) { ${mutation}(input: $input) { ${UPDATE_FIELDS} } }`, { input }, token);

  /** Sends one logging mutation that must succeed and returns the stored update. */
  const log = async (mutation: LogMutation, input: Record<string, unknown>, token: string): Promise<Logged> => {
    const res = await send(mutation, input, token);
    expect(res.errors).toBeUndefined();
    return res.data![mutation]!;
  };

  /** One page of a patient's status updates as `token` sees them. */
  const page = async (patientId: string, token: string, args: { first?: number; after?: string; kinds?: string[] } = {}): Promise<Page> =>
    (await gqlOk<{ statusUpdates: Page }>(ts.url, STATUS_UPDATES, { p: patientId, ...args }, token)).statusUpdates;

  /** The kinds `token` sees in a patient's status updates, as a set. */
  const visibleKinds = async (patientId: string, token: string): Promise<Set<string>> =>
    new Set((await page(patientId, token, { first: 100 })).edges.map((e) => e.node.kind));

  /** A fresh patient with her own login and the given care team. */
  const newPatient = (team: readonly TestUser[] = []): Promise<TestPatient> => tenant.patient(coordinator, { team, withLogin: true });

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    lactation = await tenant.user('LACTATION_CONSULTANT');
    mentalHealth = await tenant.user('MENTAL_HEALTH_SPECIALIST');
    outsider = await tenant.user('MIDWIFE');
  });
  afterAll(async () => {
    await ts?.close();
  });

  describe('a patient logging for herself', () => {
    let mother: TestPatient;
    const logged: Logged[] = [];

    beforeAll(async () => {
      mother = await newPatient();
    });

    it('returns each kind with its kind, its data, her user id as recordedBy and a cursor', async () => {
      const me = mother.user!;
      const p = mother.id;
      const cases: Array<[LogMutation, Record<string, unknown>, string, Record<string, unknown>]> = [
        ['logMood', { patientId: p, score: 4, note: 'Tired but fine' }, 'MOOD', { score: 4, note: 'Tired but fine' }],
        [
          'logFeeding',
          { patientId: p, infantId: mother.infantId, method: 'BREAST', durationMinutes: 20, wetDiapers: 6, dirtyDiapers: 2 },
          'FEEDING',
          { method: 'BREAST', durationMinutes: 20, wetDiapers: 6, dirtyDiapers: 2 },
        ],
        ['logSleep', { patientId: p, hours: 5.5 }, 'SLEEP', { hours: 5.5 }],
        [
          'logVitals',
          { patientId: p, systolic: 118, diastolic: 76, heartRate: 72, temperatureC: 36.8 },
          'VITALS',
          { systolic: 118, diastolic: 76, heartRate: 72, temperatureC: 36.8, bloodPressureCategory: 'NORMAL' },
        ],
        ['logInfantVitals', { patientId: p, infantId: mother.infantId, weightGrams: 3550, temperatureC: 36.9 }, 'INFANT_VITALS', { weightGrams: 3550, temperatureC: 36.9 }],
        ['logSymptoms', { patientId: p, symptoms: ['PERSISTENT_HEADACHE', 'VISION_CHANGES'] }, 'SYMPTOMS', { symptoms: ['PERSISTENT_HEADACHE', 'VISION_CHANGES'] }],
        [
          'submitScreening',
          { patientId: p, instrument: 'GAD7', answers: [1, 1, 0, 0, 2, 0, 1] },
          'SCREENING',
          { instrument: 'GAD7', answers: [1, 1, 0, 0, 2, 0, 1], items: [1, 1, 0, 0, 2, 0, 1], total: 5, maxTotal: 21, band: 'MILD', selfHarmItemPositive: null },
        ],
      ];
      for (const [mutation, input, kind, data] of cases) {
        const update = await log(mutation, input, me.token);
        expect(update.kind, mutation).toBe(kind);
        expect(update.data, mutation).toEqual(data);
        expect(update.recordedBy, mutation).toBe(me.id);
        expect(update.infantId, mutation).toBe('infantId' in input ? mother.infantId : null);
        expect(update.cursor, mutation).toMatch(/^[A-Za-z0-9_-]+$/);
        logged.push(update);
      }
      expect(new Set(logged.map((u) => u.cursor)).size).toBe(cases.length);
    });

    it('lists them newest first', async () => {
      const all = await page(mother.id, mother.user!.token, { first: 100 });
      expect(all.edges.map((e) => e.node.id)).toEqual(logged.map((u) => u.id).reverse());
      expect(all.edges.map((e) => e.cursor)).toEqual(logged.map((u) => u.cursor).reverse());
      expect(all.pageInfo).toEqual({ hasNextPage: false, endCursor: logged[0]!.cursor });
    });

    it('pages with first/after without overlap and reports hasNextPage correctly', async () => {
      const token = mother.user!.token;
      const first = await page(mother.id, token, { first: 3 });
      const second = await page(mother.id, token, { first: 3, after: first.pageInfo.endCursor! });
      const third = await page(mother.id, token, { first: 3, after: second.pageInfo.endCursor! });
      expect([first, second, third].map((p) => p.edges.length)).toEqual([3, 3, 1]);
      expect([first, second, third].map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
      const ids = [first, second, third].flatMap((p) => p.edges.map((e) => e.node.id));
      expect(ids).toEqual(logged.map((u) => u.id).reverse());
      expect(third.pageInfo.endCursor).toBe(logged[0]!.cursor);
    });

    it('filters by kind', async () => {
      const vitalsOnly = await page(mother.id, mother.user!.token, { kinds: ['VITALS', 'SLEEP'] });
      expect(vitalsOnly.edges.map((e) => e.node.kind)).toEqual(['VITALS', 'SLEEP']);
    });
  });

  describe('server-side scoring', () => {
    let mother: TestPatient;
    beforeAll(async () => {
      mother = await newPatient();
    });
    const screen = (instrument: string, answers: number[]) => log('submitScreening', { patientId: mother.id, instrument, answers }, mother.user!.token);

    it('scores EPDS first-option answers as 21 with item 10 = 3, PROBABLE and a positive self-harm item', async () => {
      const { data } = await screen('EPDS', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(data).toMatchObject({ instrument: 'EPDS', total: 21, maxTotal: 30, band: 'PROBABLE', selfHarmItemPositive: true });
      expect(data['items']).toEqual([0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
      expect((data['items'] as number[])[9]).toBe(3);
    });

    it('scores EPDS answers that avoid every symptom as 0, NONE, with a negative self-harm item', async () => {
      const { data } = await screen('EPDS', [0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
      expect(data).toMatchObject({ total: 0, band: 'NONE', selfHarmItemPositive: false, items: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
    });

    it.each([
      { answers: [0, 0, 0, 0, 0, 0, 0, 0, 0], total: 0, band: 'MINIMAL', selfHarm: false },
      { answers: [1, 1, 1, 1, 1, 0, 0, 0, 1], total: 6, band: 'MILD', selfHarm: true },
      { answers: [2, 2, 2, 2, 2, 0, 0, 0, 0], total: 10, band: 'MODERATE', selfHarm: false },
      { answers: [3, 3, 3, 3, 3, 0, 0, 0, 0], total: 15, band: 'MODERATELY_SEVERE', selfHarm: false },
      { answers: [3, 3, 3, 3, 3, 3, 2, 0, 0], total: 20, band: 'SEVERE', selfHarm: false },
    ])('scores PHQ-9 $answers as total $total, band $band', async ({ answers, total, band, selfHarm }) => {
      const { data } = await screen('PHQ9', answers);
      expect(data).toEqual({ instrument: 'PHQ9', answers, items: answers, total, maxTotal: 27, band, selfHarmItemPositive: selfHarm });
    });

    it.each([
      { answers: [1, 1, 1, 1, 0, 0, 0], total: 4, band: 'MINIMAL' },
      { answers: [1, 1, 1, 1, 1, 0, 0], total: 5, band: 'MILD' },
      { answers: [2, 2, 2, 2, 2, 0, 0], total: 10, band: 'MODERATE' },
      { answers: [3, 3, 3, 3, 3, 0, 0], total: 15, band: 'SEVERE' },
    ])('scores GAD-7 $answers as total $total, band $band', async ({ answers, total, band }) => {
      const { data } = await screen('GAD7', answers);
      expect(data).toEqual({ instrument: 'GAD7', answers, items: answers, total, maxTotal: 21, band, selfHarmItemPositive: null });
    });

    it.each([
      { systolic: 160, diastolic: 100, category: 'SEVERE' },
      { systolic: 150, diastolic: 110, category: 'SEVERE' },
      { systolic: 159, diastolic: 109, category: 'HYPERTENSIVE' },
      { systolic: 140, diastolic: 80, category: 'HYPERTENSIVE' },
      { systolic: 139, diastolic: 89, category: 'NORMAL' },
    ])('classifies blood pressure $systolic/$diastolic as $category', async ({ systolic, diastolic, category }) => {
      const { data } = await log('logVitals', { patientId: mother.id, systolic, diastolic }, mother.user!.token);
      expect(data).toEqual({ systolic, diastolic, bloodPressureCategory: category });
    });
  });

  describe('care-team access', () => {
    let mother: TestPatient;
    beforeAll(async () => {
      mother = await newPatient([midwife, lactation, mentalHealth]);
      const me = mother.user!.token;
      await log('logMood', { patientId: mother.id, score: 2 }, me);
      await log('logFeeding', { patientId: mother.id, infantId: mother.infantId, method: 'FORMULA', volumeMl: 90 }, me);
      await log('submitScreening', { patientId: mother.id, instrument: 'EPDS', answers: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] }, me);
      await log('logSleep', { patientId: mother.id, hours: 4 }, me);
      await log('logInfantVitals', { patientId: mother.id, infantId: mother.infantId, weightGrams: 3300 }, me);
    });

    it('lets a care-team clinician log on her behalf, recorded by the clinician', async () => {
      const update = await log('logVitals', { patientId: mother.id, systolic: 135, diastolic: 85 }, midwife.token);
      expect(update).toMatchObject({ kind: 'VITALS', recordedBy: midwife.id, data: { bloodPressureCategory: 'NORMAL' } });
      const newest = await page(mother.id, mother.user!.token, { first: 1 });
      expect(newest.edges[0]!.node).toEqual({ id: update.id, kind: 'VITALS', recordedBy: midwife.id });
    });

    it('shows a lactation consultant feeding and infant updates but filters out mood, screening and maternal ones', async () => {
      expect(await visibleKinds(mother.id, lactation.token)).toEqual(new Set(['FEEDING', 'INFANT_VITALS']));
      expect((await page(mother.id, lactation.token, { kinds: ['MOOD', 'SCREENING'] })).edges).toEqual([]);
    });

    it('shows a mental-health specialist mood, screening and maternal updates but not feeding', async () => {
      const kinds = await visibleKinds(mother.id, mentalHealth.token);
      expect(kinds).toEqual(new Set(['MOOD', 'SCREENING', 'SLEEP', 'VITALS']));
      expect(kinds.has('FEEDING')).toBe(false);
    });

    it('answers NOT_FOUND on input.patientId when a lactation consultant submits a screening, and stores nothing', async () => {
      const before = await page(mother.id, mother.user!.token, { first: 100 });
      const res = await send('submitScreening', { patientId: mother.id, instrument: 'PHQ9', answers: [0, 0, 0, 0, 0, 0, 0, 0, 0] }, lactation.token);
      expect(errorOf(res)).toEqual({ code: 'NOT_FOUND', field: 'input.patientId' });
      expect(res.data).toBeNull();
      expect(await page(mother.id, mother.user!.token, { first: 100 })).toEqual(before);
    });

    it('lets a lactation consultant log a feeding but not a mental-health specialist', async () => {
      const feeding = { patientId: mother.id, infantId: mother.infantId, method: 'BOTTLE_BREASTMILK', volumeMl: 60 };
      expect(await log('logFeeding', feeding, lactation.token)).toMatchObject({ kind: 'FEEDING', recordedBy: lactation.id });
      expect(errorOf(await send('logFeeding', feeding, mentalHealth.token))).toEqual({ code: 'NOT_FOUND', field: 'input.patientId' });
    });

    it('answers NOT_FOUND, never FORBIDDEN, to a clinician who is not on the care team', async () => {
      expect(errorOf(await send('logMood', { patientId: mother.id, score: 3 }, outsider.token))).toEqual({ code: 'NOT_FOUND', field: 'input.patientId' });
      expect(errorOf(await gql(ts.url, STATUS_UPDATES, { p: mother.id }, outsider.token))).toEqual({ code: 'NOT_FOUND', field: 'patientId' });
    });
  });

  describe('roles that may not log', () => {
    let mother: TestPatient;
    beforeAll(async () => {
      mother = await newPatient();
    });

    it.each(['ADMIN', 'RESEARCHER', 'COMPLIANCE_OFFICER'] as const)(
      'answers FORBIDDEN to %s, whose role is not listed on the logging mutations, and stores nothing',
      async (role) => {
        const user = role === 'ADMIN' ? tenant.admin : await tenant.user(role);
        for (const [mutation, input] of [
          ['logMood', { patientId: mother.id, score: 3 }],
          ['submitScreening', { patientId: mother.id, instrument: 'GAD7', answers: [0, 0, 0, 0, 0, 0, 0] }],
        ] as const) {
          const res = await send(mutation, input, user.token);
          expect(errorOf(res), mutation).toEqual({ code: 'FORBIDDEN', field: undefined });
          expect(res.errors![0]!.message).toBe(`Your role may not use Mutation.${mutation}.`);
        }
        expect((await page(mother.id, mother.user!.token)).edges).toEqual([]);
      },
    );

    it('answers UNAUTHENTICATED to a call without a token', async () => {
      const res = await send('logMood', { patientId: mother.id, score: 3 });
      expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', field: undefined });
      expect(res.data).toBeNull();
      expect(errorOf(await gql(ts.url, STATUS_UPDATES, { p: mother.id }))).toEqual({ code: 'UNAUTHENTICATED', field: undefined });
      expect((await page(mother.id, mother.user!.token)).edges).toEqual([]);
    });
  });
});
