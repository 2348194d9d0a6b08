import { STATUS_KIND_CATEGORY, type DataCategory } from '../auth/data-category.js';
import { isWarningSign } from '../clinical/warning-signs.js';
import type { StatusKind } from '../db/entities/index.js';
import { daysSinceDate, PatientTimeline, type SeriesValue } from './history-window.js';
import type { EvaluationInput, ObservationFact } from './protocol.js';

/**
 * The facts a condition reads: the declared CEL variables (their types and meaning) and how one
 * {@link EvaluationInput} becomes the CEL context. An absent fact is left out of its object, so
 * reading it raises CEL's `no_such_key` (or `index_out_of_bounds`) error, which the engine reports
 * as a missing fact; it is never replaced by a default.
 *
 * @module
 */

/** A CEL field type of a fact. Integers are CEL `int` (JavaScript bigint), the rest `double`. */
export type FactType = 'int' | 'double' | 'string' | 'bool' | 'list<int>';

/** One declared field of a fact object, with its meaning for the documentation. */
export interface FactField {
  readonly type: FactType;
  readonly description: string;
}

/**
 * The declared object variables: each maps field → type. The per-kind objects hold the triggering
 * update's payload when the update is of that kind and are empty otherwise.
 */
export const FACT_OBJECTS = {
  update: {
    kind: { type: 'string', description: 'Kind of the triggering update (MOOD, SLEEP, VITALS, SYMPTOMS, SCREENING, FEEDING, INFANT_VITALS); absent for scheduled evaluations.' },
    hoursSinceRecorded: { type: 'double', description: 'Hours from the update\'s recordedAt to now (a back-dated log is old news).' },
  },
  screening: {
    instrument: { type: 'string', description: 'EPDS, PHQ9 or GAD7.' },
    total: { type: 'int', description: 'Server-scored total.' },
    maxTotal: { type: 'int', description: 'Highest possible total of the instrument.' },
    items: { type: 'list<int>', description: 'Server-scored item values (after reverse scoring), index 0 = item 1: screening.items[9] is EPDS item 10. An unanswered item is missing.' },
    band: { type: 'string', description: 'Severity band of the total (EPDS: NONE, POSSIBLE, PROBABLE).' },
    selfHarmItemPositive: { type: 'bool', description: 'Self-harm item (EPDS 10, PHQ-9 9) above 0; absent for GAD-7.' },
  },
  vitals: {
    systolic: { type: 'double', description: 'Systolic blood pressure, mmHg.' },
    diastolic: { type: 'double', description: 'Diastolic blood pressure, mmHg.' },
    heartRate: { type: 'double', description: 'Heart rate, beats per minute.' },
    temperatureC: { type: 'double', description: 'Body temperature, °C.' },
    bloodPressureCategory: { type: 'string', description: 'SEVERE, HYPERTENSIVE or NORMAL (src/clinical/vitals.ts).' },
  },
  mood: {
    score: { type: 'int', description: 'Self-reported mood, 1 (worst) to 5 (best).' },
  },
  sleep: {
    hours: { type: 'double', description: 'Hours slept in the day.' },
  },
  feeding: {
    method: { type: 'string', description: 'Feeding method as logged.' },
    durationMinutes: { type: 'double', description: 'Length of the feed, minutes.' },
    volumeMl: { type: 'double', description: 'Volume fed or pumped, mL.' },
    wetDiapers: { type: 'int', description: 'Wet diapers recorded in this entry.' },
    dirtyDiapers: { type: 'int', description: 'Dirty diapers recorded in this entry.' },
  },
  infantVitals: {
    weightGrams: { type: 'double', description: 'Infant weight, grams.' },
    temperatureC: { type: 'double', description: 'Infant temperature, °C.' },
  },
  patient: {
    daysPostpartum: { type: 'int', description: 'Whole days since the delivery date (0 on the day of birth).' },
  },
  infant: {
    ageDays: { type: 'int', description: 'Age of the infant of the update in whole days (0 on the day of birth).' },
    birthWeightGrams: { type: 'double', description: 'Birth weight, grams.' },
    latestWeightGrams: { type: 'double', description: 'Most recent logged weight of this infant (the update included), grams.' },
    weightLossPercent: { type: 'double', description: 'Loss from birth weight to the latest weight, percent of birth weight (negative when above birth weight).' },
  },
} as const satisfies Record<string, Record<string, FactField>>;

/** The name of one object variable of {@link FACT_OBJECTS}. */
export type FactObjectName = keyof typeof FACT_OBJECTS;

/** The per-kind object that holds an update's payload. */
export const KIND_FACT_OBJECT: Readonly<Partial<Record<StatusKind, FactObjectName>>> = Object.freeze({
  SCREENING: 'screening',
  VITALS: 'vitals',
  MOOD: 'mood',
  SLEEP: 'sleep',
  FEEDING: 'feeding',
  INFANT_VITALS: 'infantVitals',
});

/** The list variable `symptoms`: the WarningSign names of a SYMPTOMS update (absent for other kinds). */
export const SYMPTOMS_VARIABLE = {
  name: 'symptoms',
  type: 'list<string>',
  description: 'WarningSign names (src/clinical/warning-signs.ts) of a SYMPTOMS update; missing for other kinds.',
} as const;

/**
 * The patient-data category each declared variable reads, for the access check of what a condition
 * raises (an alert, a task): a per-kind object reads its kind's category, `symptoms` the SYMPTOMS
 * kind's, `patient` the delivery date (MATERNAL, as `Patient.deliveryDate`), `infant` the infant's
 * record and weighings (INFANT). `update` (kind and age of the triggering update) is null: it reads
 * the triggering update's own category, which the evaluation adds (see `categoriesOfMatch`).
 */
export const FACT_CATEGORIES: Readonly<Record<FactObjectName | typeof SYMPTOMS_VARIABLE.name, DataCategory | null>> = Object.freeze({
  update: null,
  ...(Object.fromEntries(Object.entries(KIND_FACT_OBJECT).map(([kind, name]) => [name, STATUS_KIND_CATEGORY[kind as StatusKind]])) as Record<
    Exclude<FactObjectName, 'update' | 'patient' | 'infant'>,
    DataCategory
  >),
  patient: 'MATERNAL',
  infant: 'INFANT',
  symptoms: STATUS_KIND_CATEGORY.SYMPTOMS,
});

/** Converts one stored value to its CEL type, or undefined when it is absent or malformed. */
function toCel(type: FactType, value: unknown): unknown {
  switch (type) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'list<int>': {
      if (!Array.isArray(value)) return undefined;
      // A sparse list: an unanswered or malformed item is a hole, so reading it is index_out_of_bounds.
      const list = new Array<bigint>(value.length);
      value.forEach((item, i) => {
        if (typeof item === 'number' && Number.isSafeInteger(item)) list[i] = BigInt(item);
      });
      return list;
    }
  }
}

/** The declared fields of each object as [key, type] pairs, computed once. */
const FIELD_LISTS: Readonly<Record<FactObjectName, readonly (readonly [string, FactType])[]>> = Object.fromEntries(
  Object.entries(FACT_OBJECTS).map(([name, fields]) => [name, Object.entries(fields as Record<string, FactField>).map(([key, f]) => [key, f.type] as const)]),
) as unknown as Record<FactObjectName, readonly (readonly [string, FactType])[]>;

function objectFacts(name: FactObjectName, data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  for (const [key, type] of FIELD_LISTS[name]) {
    const value = toCel(type, data[key]);
    if (value !== undefined) facts[key] = value;
  }
  return facts;
}

/** The infant an update concerns, or null (maternal updates, scheduled evaluations, unknown infants). */
export function infantOf(input: EvaluationInput): EvaluationInput['patient']['infants'][number] | null {
  const infantId = input.update?.infantId ?? null;
  if (infantId === null || !Array.isArray(input.patient.infants)) return null;
  return input.patient.infants.find((i) => i.id === infantId) ?? null;
}

/** The CEL context of one evaluation, and the record the derived infant weight facts came from. */
export interface ConditionContext {
  readonly variables: Record<string, unknown>;
  /** The weighing behind `infant.latestWeightGrams` and `infant.weightLossPercent`, if any. */
  readonly latestWeight: SeriesValue | undefined;
}

/** Builds the CEL context of one evaluation (see {@link FACT_OBJECTS}). */
export function buildConditionContext(input: EvaluationInput, timeline: PatientTimeline): ConditionContext {
  const update: ObservationFact | null = input.update;
  const context: Record<string, unknown> = {};
  for (const name of Object.keys(FACT_OBJECTS) as FactObjectName[]) context[name] = {};
  if (update) {
    context['update'] = objectFacts('update', { kind: update.kind, hoursSinceRecorded: (input.now - update.recordedAt) / 3_600_000 });
    const objectName = KIND_FACT_OBJECT[update.kind];
    const data = update.data ?? {};
    if (objectName) context[objectName] = objectFacts(objectName, data);
    const symptoms = data['symptoms'];
    if (update.kind === 'SYMPTOMS' && Array.isArray(symptoms)) context[SYMPTOMS_VARIABLE.name] = symptoms.filter(isWarningSign);
  }
  const daysPostpartum = daysSinceDate(input.patient.deliveryDate, input.now);
  context['patient'] = objectFacts('patient', { daysPostpartum });
  const infant = infantOf(input);
  let latestWeight: SeriesValue | undefined;
  if (infant) {
    const weights = timeline.valuesOf({ kind: 'INFANT_VITALS', instrument: null }, 'weightGrams');
    latestWeight = weights.at(-1);
    const latest = latestWeight;
    const birth = infant.birthWeightGrams;
    context['infant'] = objectFacts('infant', {
      ageDays: daysSinceDate(infant.birthDate, input.now),
      birthWeightGrams: birth,
      latestWeightGrams: latest?.value,
      weightLossPercent: latest && birth > 0 ? ((birth - latest.value) / birth) * 100 : undefined,
    });
  }
  return { variables: context, latestWeight };
}
