import type { Role } from '../../src/db/entities/index.js';
import type { PatientOptions, TestPatient } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { SITUATIONS, categories, type Category, type Situation } from './access-oracle.js';

/**
 * Values that tell the authorisation matrix's patients apart, so that a response carrying one of
 * them is caught: each is seeded for one patient only and belongs to one data category. Which of
 * them a caller must not see follows from the oracle (`categories`), never from a second table.
 */

/** One patient's value as a response would carry it, with the category it belongs to. */
export interface Marker {
  readonly category: Category;
  /** What the value is, for a failure message (`OWN MENTAL_HEALTH mood note`). */
  readonly label: string;
  /** Matches the value in a JSON response body, also inside a JSON-encoded string (audit details). */
  readonly pattern: RegExp;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const random = () => Math.random().toString(36).slice(2, 8);
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** A marker for a text value, found anywhere in a body. */
const text = (situation: Situation, category: Category, what: string, value: string): Marker => ({
  category, label: `${situation} ${category} ${what} ${JSON.stringify(value)}`, pattern: new RegExp(escape(value)),
});

/** A marker for a number, found only as the value of its JSON key (a bare number is too common to scan for). */
const numeric = (situation: Situation, category: Category, key: string, value: number): Marker => ({
  category, label: `${situation} ${category} ${key} ${value}`, pattern: new RegExp(`(?<![A-Za-z])${escape(key)}\\\\*"\\s*:\\s*${escape(String(value))}(?![\\d.])`),
});

/**
 * The creation options that make the situation's patient unlike the others: her own phone number,
 * delivery date (11 to 16 days ago; infants are born ten days ago, so it matches no other date) and
 * infant's name and birth weight.
 */
export function distinctPatient(situation: Situation): PatientOptions {
  const i = SITUATIONS.indexOf(situation);
  return {
    phone: `+44 20 7946 0${101 + i}`,
    deliveryDate: day(11 + i),
    infant: { givenName: `Wren${situation.replace(/_/g, '')}${random()}`, birthWeightGrams: 3411 + i },
  };
}

const READ = `query($id: ID!) { patient(id: $id) { familyName mrn phone email deliveryDate infants { givenName birthWeightGrams } } }`;

/** PHQ-9 item scores (item 9, self-harm, left at 0) adding up to `total` (at most 24). */
function phq9Answers(total: number): number[] {
  return Array.from({ length: 9 }, (_, item) => (item === 8 ? 0 : Math.max(0, Math.min(3, total - 3 * item))));
}

/**
 * Logs, as the patient herself, a mood of `score` whose note is a marker no other record has, and
 * returns that marker (MENTAL_HEALTH).
 */
export async function logMarkedMood(url: string, patient: TestPatient, situation: Situation, score: number): Promise<Marker> {
  const note = `mood-note-${situation}-${random()}`;
  await gqlOk(url, 'mutation($i: LogMoodInput!) { logMood(input: $i) { id } }', { i: { patientId: patient.id, score, note } }, patient.user!.token);
  return text(situation, 'MENTAL_HEALTH', 'mood note', note);
}

/**
 * Reads the patient's identity, contact, delivery and infant values (created with
 * {@link distinctPatient}), logs a marked mood of score 2 (the matrix's MOOD protocols alert on it),
 * a screening, a feeding, a sleep and an infant weight with values no other patient has, and
 * returns every one of them as a marker.
 */
export async function seedMarkers(url: string, patient: TestPatient, situation: Situation): Promise<Marker[]> {
  const i = SITUATIONS.indexOf(situation);
  const token = patient.user!.token;
  const { patient: read } = await gqlOk<{ patient: { familyName: string; mrn: string; phone: string; email: string; deliveryDate: string; infants: Array<{ givenName: string; birthWeightGrams: number }> } }>(
    url, READ, { id: patient.id }, token,
  );
  const log = (name: string, inputType: string, input: Record<string, unknown>) =>
    gqlOk(url, `mutation($i: ${inputType}!) { ${name}(input: $i) { id } }`, { i: { patientId: patient.id, ...input } }, token);
  const screeningTotal = 4 + i;
  const volumeMl = 111 + i;
  const sleepHours = 5.25 + i;
  const weightGrams = 3521 + i;
  await log('submitScreening', 'SubmitScreeningInput', { instrument: 'PHQ9', answers: phq9Answers(screeningTotal) });
  await log('logFeeding', 'LogFeedingInput', { infantId: patient.infantId, method: 'FORMULA', volumeMl });
  await log('logSleep', 'LogSleepInput', { hours: sleepHours });
  await log('logInfantVitals', 'LogInfantVitalsInput', { infantId: patient.infantId, weightGrams });
  return [
    text(situation, 'IDENTITY', 'family name', read.familyName),
    text(situation, 'IDENTITY', 'MRN', read.mrn),
    text(situation, 'CONTACT', 'phone', read.phone),
    text(situation, 'CONTACT', 'email', read.email),
    text(situation, 'MATERNAL', 'delivery date', read.deliveryDate),
    numeric(situation, 'MATERNAL', 'hours', sleepHours),
    await logMarkedMood(url, patient, situation, 2),
    numeric(situation, 'MENTAL_HEALTH', 'total', screeningTotal),
    numeric(situation, 'FEEDING', 'volumeMl', volumeMl),
    ...read.infants.flatMap((infant) => [
      text(situation, 'INFANT', 'infant name', infant.givenName),
      numeric(situation, 'INFANT', 'birthWeightGrams', infant.birthWeightGrams),
    ]),
    numeric(situation, 'INFANT', 'weightGrams', weightGrams),
  ];
}

/**
 * The markers `role` must not see anywhere: every patient's markers of the categories the oracle
 * withholds from the role in that patient's situation (all of them for another tenant's patient).
 */
export function forbiddenMarkers(role: Role, markers: ReadonlyMap<Situation, readonly Marker[]>): Marker[] {
  return [...markers].flatMap(([situation, list]) => {
    const allowed = categories(role, situation);
    return list.filter((m) => !allowed.has(m.category));
  });
}

/** The labels of the `forbidden` markers that occur in `body`. */
export function leaksIn(body: string, forbidden: readonly Marker[]): string[] {
  return forbidden.filter((m) => m.pattern.test(body)).map((m) => m.label);
}
