import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/**
 * EPDS answers (the option chosen on each item, index 0 = item 1) with their totals worked out by
 * hand from the published scale (Cox et al. 1987), not by the server's scorer: items 1, 2 and 4
 * score the option, items 3 and 5-10 score 3 minus the option.
 */
const SCREENINGS = {
  /** 0+0+0 on items 1, 2, 4; 3-3 = 0 on each of the other seven. */
  none: { answers: [0, 0, 3, 0, 3, 3, 3, 3, 3, 3], total: 0 },
  /** 1+1+1; items 3 and 5-9 score 1 each (6); item 10 scores 0. */
  mild: { answers: [1, 1, 2, 1, 2, 2, 2, 2, 2, 3], total: 9 },
  /** 3+3+3; items 3 and 5-9 score 3 each (18); item 10 scores 0. */
  severe: { answers: [3, 3, 0, 3, 0, 0, 0, 0, 0, 3], total: 27 },
  /** 2+2+2; items 3 and 5-9 score 2 each (12); item 10 scores 0. */
  moderate: { answers: [2, 2, 1, 2, 1, 1, 1, 1, 1, 3], total: 18 },
  /** 0+0+0; items 3 and 5-9 score 3 each (18); item 10 scores 0. */
  firstOptions: { answers: [0, 0, 0, 0, 0, 0, 0, 0, 0, 3], total: 18 },
  /** 3+3+3; items 3 and 5-10 score 0 each. */
  lastOptions: { answers: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3], total: 9 },
} as const;

describe('research: anonymised, consented, k-anonymous answers', () => {
  let ts: TestServer;
  let clinic: TestTenant;
  let coordinator: TestUser;
  let researcher: TestUser;
  const mothers: Mother[] = [];

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

  const screen = (m: Mother, screening: { readonly answers: readonly number[] }) =>
    gqlOk(ts.url, `mutation($input: SubmitScreeningInput!) { submitScreening(input: $input) { id } }`, { input: { patientId: m.id, instrument: 'EPDS', answers: screening.answers } }, m.user.token);

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_RESEARCH_MIN_GROUP_SIZE: String(K) } });
    clinic = await TestTenant.create(ts);
    coordinator = await clinic.user('CARE_COORDINATOR');
    researcher = await clinic.user('RESEARCHER');
    // Four mothers aged 30-34 who consent to identity and mental-health research…
    for (const screening of [SCREENINGS.none, SCREENINGS.mild, SCREENINGS.severe, SCREENINGS.moderate]) {
      const m = await mother(1993);
      await consent(m, ['IDENTITY', 'MENTAL_HEALTH']);
      await screen(m, screening);
    }
    // …three aged 25-29, and one aged 40-44 (a group of one: withheld)…
    for (const birthYear of [1999, 1999, 1999, 1984]) {
      const m = await mother(birthYear);
      await consent(m, ['IDENTITY', 'MENTAL_HEALTH']);
      await screen(m, SCREENINGS.firstOptions);
    }
    // …one who consents to identity only, one who consents and revokes, one who never consents.
    const identityOnly = await mother(1993);
    await consent(identityOnly, ['IDENTITY']);
    await screen(identityOnly, SCREENINGS.lastOptions);
    const revoker = await mother(1993);
    const granted = await consent(revoker, ['IDENTITY', 'MENTAL_HEALTH']);
    await gqlOk(ts.url, `mutation($id: ID!) { revokeConsent(id: $id) { id } }`, { id: granted.grantConsent.id }, revoker.user.token);
    await screen(revoker, SCREENINGS.lastOptions);
    const never = await mother(1993);
    await screen(never, SCREENINGS.lastOptions);
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
    // The eight consenting mothers scored 0, 9, 27 and 18 (30-34) and 18, 18, 18, 18 (the others):
    // 126 / 8 = 15.75, reported to one decimal. The three others (9 each) would pull it down.
    const table = (await gqlOk<{ outcomeMetrics: Table }>(ts.url, OUTCOME, { c: { metric: 'EPDS_MEAN_TOTAL', groupBy: 'NONE' } }, researcher.token)).outcomeMetrics;
    expect(table.groups).toEqual([{ group: 'all', patients: 8, value: 15.8, suppressed: false }]);
    // Six of the eight scored 13 or more (27 and the five 18s).
    const byPostpartum = (await gqlOk<{ outcomeMetrics: Table }>(ts.url, OUTCOME, { c: { metric: 'EPDS_PROBABLE_DEPRESSION_RATE', groupBy: 'POSTPARTUM_BAND' } }, researcher.token)).outcomeMetrics;
    expect(byPostpartum.groups).toEqual([{ group: '0-2 weeks', patients: 8, value: 0.75, suppressed: false }]);
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
