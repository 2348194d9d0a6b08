import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreScreening } from '../../src/clinical/screening.js';
import { TestTenant, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

const K = 3;
const COHORT = `query($c: ResearchCohortCriteria!) { researchCohort(criteria: $c) { k groups { group patients value suppressed } } }`;
const OUTCOME = `query($c: OutcomeMetricsCriteria!) { outcomeMetrics(criteria: $c) { k groups { group patients value suppressed } } }`;

interface Mother {
  readonly id: string;
  readonly familyName: string;
  readonly user: TestUser;
}

type Table = { k: number; groups: Array<{ group: string; patients: number | null; value: number | null; suppressed: boolean }> };

describe('research: anonymised, consented, k-anonymous answers', () => {
  let ts: TestServer;
  let clinic: TestTenant;
  let coordinator: TestUser;
  let researcher: TestUser;
  const mothers: Mother[] = [];
  /** Mothers whose research consent covers identity and mental health. */
  const consenting: Mother[] = [];
  const totals = new Map<string, number>();

  /** A mother born in `birthYear`, with her own login. */
  async function mother(birthYear: number): Promise<Mother> {
    const user = await clinic.user('PATIENT');
    const familyName = `Research${mothers.length}${crypto.randomUUID().slice(0, 6)}`;
    const created = await gqlOk<{ createPatient: { id: string } }>(
      ts.url,
      `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`,
      { input: { userId: user.id, givenName: 'Rhea', familyName, birthDate: `${birthYear}-03-01`, deliveryDate: new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10) } },
      coordinator.token,
    );
    const m = { id: created.createPatient.id, familyName, user };
    mothers.push(m);
    return m;
  }

  const consent = (m: Mother, categories: string[]) =>
    gqlOk<{ grantConsent: { id: string } }>(
      ts.url,
      `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`,
      { input: { patientId: m.id, type: 'RESEARCH', categories, version: 'research-v1' } },
      m.user.token,
    );

  const screen = async (m: Mother, answers: number[]) => {
    await gqlOk(ts.url, `mutation($input: SubmitScreeningInput!) { submitScreening(input: $input) { id } }`, { input: { patientId: m.id, instrument: 'EPDS', answers } }, m.user.token);
    totals.set(m.id, scoreScreening('EPDS', answers).total);
  };

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_RESEARCH_MIN_GROUP_SIZE: String(K) } });
    clinic = await TestTenant.create(ts);
    coordinator = await clinic.user('CARE_COORDINATOR');
    researcher = await clinic.user('RESEARCHER');
    // Four mothers aged 30-34 who consent to identity and mental-health research…
    for (const answers of [[0, 0, 3, 0, 3, 3, 3, 3, 3, 3], [1, 1, 2, 1, 2, 2, 2, 2, 2, 3], [3, 3, 0, 3, 0, 0, 0, 0, 0, 3], [2, 2, 1, 2, 1, 1, 1, 1, 1, 3]]) {
      const m = await mother(1993);
      await consent(m, ['IDENTITY', 'MENTAL_HEALTH']);
      await screen(m, answers);
      consenting.push(m);
    }
    // …three aged 25-29, and one aged 40-44 (a group of one: withheld)…
    for (const birthYear of [1999, 1999, 1999, 1984]) {
      const m = await mother(birthYear);
      await consent(m, ['IDENTITY', 'MENTAL_HEALTH']);
      await screen(m, [0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
      consenting.push(m);
    }
    // …one who consents to identity only, one who consents and revokes, one who never consents.
    const identityOnly = await mother(1993);
    await consent(identityOnly, ['IDENTITY']);
    await screen(identityOnly, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    const revoker = await mother(1993);
    const granted = await consent(revoker, ['IDENTITY', 'MENTAL_HEALTH']);
    await gqlOk(ts.url, `mutation($id: ID!) { revokeConsent(id: $id) { id } }`, { id: granted.grantConsent.id }, revoker.user.token);
    await screen(revoker, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    const never = await mother(1993);
    await screen(never, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('counts only patients whose research consent covers the asked categories, by age band, withholding groups under k', async () => {
    const cohort = (await gqlOk<{ researchCohort: Table }>(ts.url, COHORT, { c: { categories: ['MENTAL_HEALTH'] } }, researcher.token)).researchCohort;
    // 30-34 holds four consenting mothers (the revoked and the identity-only ones are out), 25-29
    // three, 40-44 one. The group of one is withheld, and so is the next smallest (secondary
    // suppression), or the population total minus the others would reveal it.
    expect(cohort.k).toBe(K);
    expect(cohort.groups).toEqual([
      { group: '25-29', patients: null, value: null, suppressed: true },
      { group: '30-34', patients: 4, value: 4, suppressed: false },
      { group: '40-44', patients: null, value: null, suppressed: true },
    ]);
  });

  it('widens the cohort to identity-only consent when only identity is asked for', async () => {
    const cohort = (await gqlOk<{ researchCohort: Table }>(ts.url, COHORT, { c: { categories: [] } }, researcher.token)).researchCohort;
    const counted = cohort.groups.filter((g) => !g.suppressed).reduce((sum, g) => sum + (g.patients ?? 0), 0);
    // 30-34 now also holds the identity-only mother.
    expect(counted).toBe(5);
  });

  it('reports the mean EPDS total over consenting mothers only, each counted once', async () => {
    const expected = Math.round((consenting.reduce((sum, m) => sum + totals.get(m.id)!, 0) / consenting.length) * 10) / 10;
    const table = (await gqlOk<{ outcomeMetrics: Table }>(ts.url, OUTCOME, { c: { metric: 'EPDS_MEAN_TOTAL', groupBy: 'NONE' } }, researcher.token)).outcomeMetrics;
    expect(table.groups).toEqual([{ group: 'all', patients: consenting.length, value: expected, suppressed: false }]);
    const byPostpartum = (await gqlOk<{ outcomeMetrics: Table }>(ts.url, OUTCOME, { c: { metric: 'EPDS_PROBABLE_DEPRESSION_RATE', groupBy: 'POSTPARTUM_BAND' } }, researcher.token)).outcomeMetrics;
    const rate = consenting.filter((m) => totals.get(m.id)! >= 13).length / consenting.length;
    expect(byPostpartum.groups).toEqual([{ group: '0-2 weeks', patients: consenting.length, value: Math.round(rate * 1000) / 1000, suppressed: false }]);
  });

  it('never names a patient: no ids, names or dates in any answer', async () => {
    const answers = JSON.stringify([
      await gql(ts.url, COHORT, { c: { categories: ['MENTAL_HEALTH'] } }, researcher.token),
      await gql(ts.url, OUTCOME, { c: { metric: 'EPDS_MEAN_TOTAL', groupBy: 'AGE_BAND' } }, researcher.token),
    ]);
    for (const m of mothers) {
      expect(answers).not.toContain(m.id);
      expect(answers).not.toContain(m.familyName);
    }
    expect(answers).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('gives researchers no record, and other roles no research answers', async () => {
    const record = await gql(ts.url, `query($id: ID!) { patient(id: $id) { id } }`, { id: mothers[0]!.id }, researcher.token);
    expect(errorOf(record).code).toBe('NOT_FOUND');
    for (const role of ['CARE_COORDINATOR', 'ADMIN', 'COMPLIANCE_OFFICER'] as const) {
      const token = role === 'CARE_COORDINATOR' ? coordinator.token : role === 'ADMIN' ? clinic.admin.token : (await clinic.user(role)).token;
      expect(errorOf(await gql(ts.url, COHORT, { c: { categories: [] } }, token)).code, role).toBe('FORBIDDEN');
    }
  });

  it('audits each answer with purpose RESEARCH and counts, naming no patient', async () => {
    const rows = await rawSql(ts, `select action, purpose, patient_id, details from audit_event where tenant_id = ? and action like 'RESEARCH_%' order by seq`, [clinic.id]);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row['purpose']).toBe('RESEARCH');
      expect(row['patient_id']).toBeNull();
    }
    expect(rows.map((r) => r['action'])).toContain('RESEARCH_OUTCOME_EPDS_MEAN_TOTAL');
  });

  it('rejects a delivery window out of range, naming the field', async () => {
    const res = await gql(ts.url, COHORT, { c: { categories: [], deliveredWithinDays: 0 } }, researcher.token);
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field: 'criteria.deliveredWithinDays' });
  });
});
