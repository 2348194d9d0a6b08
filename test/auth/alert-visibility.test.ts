import { describe, expect, it } from 'vitest';
import type { PatientGrant } from '../../src/auth/patient-grants.js';
import { grantCovers, visibleRecordsFilter } from '../../src/auth/record-visibility.js';
import { STATUS_KINDS, type ClinicalRole, type StatusKind } from '../../src/db/entities/index.js';
import { CONDITION_FUNCTIONS } from '../../src/protocols/cel-environment.js';
import { FACT_OBJECTS, SYMPTOMS_VARIABLE, type FactType } from '../../src/protocols/condition-facts.js';
import { categoriesOfMatch, categoriesReadBy } from '../../src/protocols/condition-reads.js';
import { defaultCompiler } from '../../src/protocols/default-compiler.js';
import { numericFieldsOf, parseSeries, SERIES_NAMES } from '../../src/protocols/history-window.js';
import type { ProtocolTrigger } from '../../src/protocols/protocol.js';
import { alertConcerns } from '../../src/realtime/relevance.js';
import { ALL, BY_CARE_TEAM_ROLE, type Category } from './access-oracle.js';
import { inputOf, NOW, observation } from '../protocols/protocol-fixtures.js';

/**
 * Alert visibility, as a matrix: every fact a condition can read (each field of each fact object,
 * `symptoms`, each window function over each series, and a series computed at run time) × every
 * trigger (each update kind, and a schedule) × every care-team role × every consent scope (no
 * consent; CARE_COORDINATION and DATA_SHARING each with every subset of the clinical categories,
 * and both at once). The expected answer comes from the access model restated here and in
 * `access-oracle.ts`, not from the code: an alert is seen exactly by a role whose categories of the
 * patient (role defaults, what she shares with her team, and for the coordinator what her
 * CARE_COORDINATION consent lists) include the category of every fact the alert read.
 */

/** The category each kind of update belongs to (`docs/access-model.md`). */
const KIND: Readonly<Record<StatusKind, Category>> = {
  MOOD: 'MENTAL_HEALTH', SCREENING: 'MENTAL_HEALTH', SLEEP: 'MATERNAL', VITALS: 'MATERNAL', SYMPTOMS: 'MATERNAL', FEEDING: 'FEEDING', INFANT_VITALS: 'INFANT',
};
const CLINICAL: readonly Category[] = ['FEEDING', 'INFANT', 'MATERNAL', 'MENTAL_HEALTH'];
/** The category each fact object reads; `update` only says what triggered the rule (its own category). */
const OBJECT: Readonly<Record<string, Category | null>> = {
  update: null, screening: 'MENTAL_HEALTH', mood: 'MENTAL_HEALTH', vitals: 'MATERNAL', sleep: 'MATERNAL', feeding: 'FEEDING',
  infantVitals: 'INFANT', patient: 'MATERNAL', infant: 'INFANT', [SYMPTOMS_VARIABLE.name]: 'MATERNAL',
};

/** One fact a condition can read: an expression reading it (and nothing else), and what it reads. */
interface Fact {
  readonly expression: string;
  readonly reads: readonly Category[];
}

const test: Record<FactType, (path: string) => string> = {
  int: (p) => `${p} > 0`,
  double: (p) => `${p} > 0.0`,
  string: (p) => `${p} == "x"`,
  bool: (p) => p,
  'list<int>': (p) => `size(${p}) > 0`,
};

function seriesReads(name: string): Category[] {
  const series = parseSeries(name)!;
  return series.kind === null ? [...CLINICAL] : [KIND[series.kind]];
}

/** Every fact, generated from the declared variables, window functions and series. */
function everyFact(): Fact[] {
  const facts: Fact[] = [];
  for (const [object, fields] of Object.entries(FACT_OBJECTS)) {
    for (const [field, { type }] of Object.entries(fields as Record<string, { type: FactType }>)) {
      const category = OBJECT[object];
      facts.push({ expression: test[type](`${object}.${field}`), reads: category ? [category] : [] });
    }
  }
  facts.push({ expression: `size(${SYMPTOMS_VARIABLE.name}) > 0`, reads: [OBJECT[SYMPTOMS_VARIABLE.name]!] });
  for (const fn of CONDITION_FUNCTIONS.filter((f) => f.readsHistory)) {
    for (const name of SERIES_NAMES) {
      const series = JSON.stringify(name);
      const reads = seriesReads(name);
      if (fn.name === 'count') facts.push({ expression: `count(${series}, hours(6)) > 0`, reads });
      else if (fn.name === 'daysSinceLast') facts.push({ expression: `daysSinceLast(${series}) > 1.0`, reads });
      else {
        for (const field of numericFieldsOf(parseSeries(name)!)) {
          const f = JSON.stringify(field);
          if (fn.name === 'latest' || fn.name === 'previous') facts.push({ expression: `${fn.name}(${series}, ${f}) > 1.0`, reads });
          else {
            facts.push({ expression: `${fn.name}(${series}, ${f}, days(2)) > 1.0`, reads });
            facts.push({ expression: `${fn.name}(${series}, ${f}, 3) > 1.0`, reads });
          }
        }
      }
    }
  }
  // A series computed at run time could be any: every clinical category.
  facts.push({ expression: 'count(update.kind, hours(6)) > 0', reads: [...CLINICAL] });
  facts.push({ expression: 'latest("SCREENING:" + "EPDS", "total") > 1.0', reads: [...CLINICAL] });
  return facts;
}

const TRIGGERS: ReadonlyArray<{ readonly name: string; readonly trigger: ProtocolTrigger; readonly kind: StatusKind | null }> = [
  ...STATUS_KINDS.map((kind) => ({ name: kind, trigger: { type: 'ON_UPDATE', kinds: [kind] } as ProtocolTrigger, kind })),
  { name: 'SCHEDULED', trigger: { type: 'SCHEDULED', everyMinutes: 60 }, kind: null },
];

/** Every subset of the clinical categories. */
const SUBSETS: readonly (readonly Category[])[] = Array.from({ length: 1 << CLINICAL.length }, (_, mask) => CLINICAL.filter((_, i) => mask & (1 << i)));

/** A patient's consents as they shape her care team's grants. */
interface ConsentScope {
  readonly name: string;
  /** Active CARE_COORDINATION categories; null when she never recorded one. */
  readonly coordination: readonly Category[] | null;
  /** Active DATA_SHARING categories (with her whole team). */
  readonly shared: readonly Category[];
}

const SCOPES: readonly ConsentScope[] = [
  { name: 'no consent', coordination: null, shared: [] },
  ...SUBSETS.map((s) => ({ name: `CARE_COORDINATION [${s.join(',')}]`, coordination: s, shared: [] })),
  ...SUBSETS.filter((s) => s.length > 0).map((s) => ({ name: `DATA_SHARING [${s.join(',')}]`, coordination: null, shared: s })),
  ...SUBSETS.map((s) => ({ name: `CARE_COORDINATION [${s.join(',')}] + DATA_SHARING [MENTAL_HEALTH]`, coordination: s, shared: ['MENTAL_HEALTH'] as Category[] })),
];

const ROLES = Object.keys(BY_CARE_TEAM_ROLE) as ClinicalRole[];

/** What the access model gives a care-team role of a patient under a consent scope. */
function modelCategories(role: ClinicalRole, scope: ConsentScope): Set<Category> {
  const categories = new Set<Category>([...BY_CARE_TEAM_ROLE[role]!, ...scope.shared]);
  if (role !== 'CARE_COORDINATOR' || scope.coordination === null) return categories;
  const basics: readonly Category[] = ['IDENTITY', 'CONTACT', 'CARE_TEAM'];
  return new Set([...categories].filter((c) => basics.includes(c) || scope.coordination!.includes(c)));
}

const PATIENT_ID = '33333333-3333-4333-8333-333333333333';

describe('alert visibility over every fact, trigger, role and consent', () => {
  const facts = everyFact();

  it('generates a case for every declared fact field, every window function and every series', () => {
    for (const [object, fields] of Object.entries(FACT_OBJECTS)) {
      for (const field of Object.keys(fields)) expect(facts.some((f) => f.expression.includes(`${object}.${field}`))).toBe(true);
    }
    expect(facts.some((f) => f.expression.includes(SYMPTOMS_VARIABLE.name))).toBe(true);
    // Each compiles, so its categories are found on it rather than assumed (see the conservative fallback).
    expect(facts.filter((f) => !defaultCompiler().compile(f.expression).ok).map((f) => f.expression)).toEqual([]);
    for (const fn of CONDITION_FUNCTIONS.filter((f) => f.readsHistory)) expect(facts.some((f) => f.expression.startsWith(`${fn.name}(`))).toBe(true);
    for (const name of SERIES_NAMES) expect(facts.some((f) => f.expression.includes(`(${JSON.stringify(name)}`))).toBe(true);
    expect(ALL).toEqual(expect.arrayContaining([...CLINICAL, 'CARE_TEAM']));
  });

  it('finds the categories of every fact a condition reads, on every trigger, the trigger and evidence included', () => {
    const mismatches: string[] = [];
    for (const fact of facts) {
      for (const { name, trigger, kind } of TRIGGERS) {
        const read = categoriesReadBy({ condition: fact.expression, appliesWhen: null, trigger });
        const update = kind ? observation(kind, {}) : null;
        const got = categoriesOfMatch(read, inputOf(update), update ? [update.id] : []);
        const want = [...new Set([...fact.reads, ...(kind ? [KIND[kind]] : ['CARE_TEAM' as const])])].sort();
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${fact.expression} on ${name}: expected ${want.join(',')}, got ${got.join(',')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('reads appliesWhen as well as the condition, and every category of an expression that does not compile', () => {
    const trigger: ProtocolTrigger = { type: 'ON_UPDATE', kinds: ['FEEDING'] };
    expect(categoriesReadBy({ condition: 'feeding.wetDiapers < 3', appliesWhen: 'count("MOOD", days(1)) > 0', trigger })).toEqual(['FEEDING', 'MENTAL_HEALTH']);
    expect(categoriesReadBy({ condition: 'nonsense(', appliesWhen: null, trigger })).toEqual([...CLINICAL]);
  });

  it('adds the category of every evidence record the evaluation used', () => {
    const update = observation('FEEDING', { durationMinutes: 10 });
    const mood = observation('MOOD', { score: 1 });
    const vitals = observation('VITALS', { systolic: 120 });
    expect(categoriesOfMatch(['FEEDING'], inputOf(update, [mood, vitals]), [update.id, mood.id])).toEqual(['FEEDING', 'MENTAL_HEALTH']);
  });

  it('shows each alert exactly to the roles whose grant under the consent covers every category it read, in reads, lists and live delivery', () => {
    const alerts = new Map<string, string[]>();
    for (const fact of facts) {
      for (const { name, trigger, kind } of TRIGGERS) {
        const update = kind ? observation(kind, {}) : null;
        alerts.set(`${fact.expression} on ${name}`, categoriesOfMatch(categoriesReadBy({ condition: fact.expression, appliesWhen: null, trigger }), inputOf(update), update ? [update.id] : []));
      }
    }
    const mismatches: string[] = [];
    let cases = 0;
    for (const scope of SCOPES) {
      for (const role of ROLES) {
        const model = modelCategories(role, scope);
        const grant: PatientGrant = { patientId: PATIENT_ID, relation: 'CARE_TEAM', careTeamRole: role, categories: model, expiresAt: null };
        const [clause] = visibleRecordsFilter([grant], NOW)!.$or;
        for (const [alert, categories] of alerts) {
          cases++;
          const want = categories.every((c) => model.has(c as Category));
          const read = grantCovers(grant, categories, NOW);
          const listed = clause!.patientId.$in.includes(PATIENT_ID) && categories.every((c) => (clause!.categories.$contained as string[]).includes(c));
          const live = alertConcerns(grant, 'someone', { roles: [role], userIds: [] }, categories);
          if (read !== want || listed !== want || live !== want) {
            mismatches.push(`${role} × ${scope.name} × ${alert} [${categories.join(',')}]: expected ${want}, read ${read}, listed ${listed}, live ${live}`);
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(100_000);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('never shows a record to an expired grant, or one that lists no category', () => {
    const grant: PatientGrant = { patientId: PATIENT_ID, relation: 'EMERGENCY', careTeamRole: null, categories: new Set(ALL), expiresAt: NOW + 1000 };
    expect(grantCovers(grant, ['MENTAL_HEALTH'], NOW)).toBe(true);
    expect(grantCovers(grant, ['MENTAL_HEALTH'], NOW + 1000)).toBe(false);
    expect(grantCovers(grant, [], NOW)).toBe(false);
    expect(visibleRecordsFilter([grant], NOW + 1000)).toBeNull();
  });
});
