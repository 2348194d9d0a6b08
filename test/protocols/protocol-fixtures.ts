import { scoreScreening } from '../../src/clinical/screening.js';
import type { ScreeningInstrument } from '../../src/clinical/screening.js';
import type { StatusKind } from '../../src/db/entities/index.js';
import { evaluateProtocol } from '../../src/protocols/engine.js';
import type {
  BuiltInProtocol, EvaluationInput, EvaluationResult, ObservationFact, PatientFacts, ProtocolDefinition,
} from '../../src/protocols/protocol.js';

/** Test builders for the protocol engine: patients, observations and evaluation inputs. */

export const DAY_MS = 24 * 60 * 60 * 1000;
export const HOUR_MS = 60 * 60 * 1000;
/** The evaluation clock of most tests: 2026-11-23 12:00 UTC. */
export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
export const INFANT_ID = '11111111-1111-4111-8111-111111111111';
export const TWIN_ID = '22222222-2222-4222-8222-222222222222';

let sequence = 0;

/** The ISO date `days` days before NOW's date. */
export function dateDaysAgo(days: number, from = NOW): string {
  return new Date(from - days * DAY_MS).toISOString().slice(0, 10);
}

/** A patient delivered 20 days before NOW with one infant of 3000 g born the same day. */
export function patientFacts(overrides: { deliveredDaysAgo?: number; infantAgeDays?: number; birthWeightGrams?: number } = {}): PatientFacts {
  const infantAge = overrides.infantAgeDays ?? overrides.deliveredDaysAgo ?? 20;
  return {
    patientId: 'patient-1',
    deliveryDate: dateDaysAgo(overrides.deliveredDaysAgo ?? infantAge),
    infants: [
      { id: INFANT_ID, birthDate: dateDaysAgo(infantAge), birthWeightGrams: overrides.birthWeightGrams ?? 3000 },
      { id: TWIN_ID, birthDate: dateDaysAgo(infantAge), birthWeightGrams: 2800 },
    ],
  };
}

/** One observation recorded `ago` milliseconds before NOW (0 = now). */
export function observation(kind: StatusKind, data: Record<string, unknown>, options: { ago?: number; infantId?: string | null; id?: string } = {}): ObservationFact {
  sequence += 1;
  const infantKind = kind === 'FEEDING' || kind === 'INFANT_VITALS';
  return {
    id: options.id ?? `obs-${sequence}`,
    kind,
    recordedAt: NOW - (options.ago ?? 0),
    infantId: options.infantId !== undefined ? options.infantId : infantKind ? INFANT_ID : null,
    data,
  };
}

/** A screening observation scored by the real scorer (`answers` are the chosen options / item scores). */
export function screening(instrument: ScreeningInstrument, answers: number[], options: { ago?: number; id?: string } = {}): ObservationFact {
  const scored = scoreScreening(instrument, answers);
  return observation('SCREENING', { instrument, answers, items: scored.items, total: scored.total, maxTotal: scored.maxTotal, band: scored.band, selfHarmItemPositive: scored.selfHarmItemPositive }, options);
}

/**
 * EPDS option indexes giving item scores `scores` (index 0 = item 1): items 1, 2 and 4 score the
 * option, the others score 3 − option (the reverse scoring of CLINICAL.md).
 */
export function epdsAnswersFor(scores: number[]): number[] {
  return scores.map((score, i) => ([0, 1, 3].includes(i) ? score : 3 - score));
}

/** EPDS item scores adding up to `total` with item 10 scored `item10` (items filled in order, at most 3 each). */
export function epdsScoresTotalling(total: number, item10 = 0): number[] {
  const scores = new Array<number>(10).fill(0);
  scores[9] = item10;
  let left = total - item10;
  for (let i = 0; i < 9 && left > 0; i++) {
    scores[i] = Math.min(3, left);
    left -= scores[i]!;
  }
  if (left > 0) throw new Error(`cannot reach EPDS total ${total}`);
  return scores;
}

/** An evaluation input at NOW. */
export function inputOf(update: ObservationFact | null, history: ObservationFact[] = [], patient: PatientFacts = patientFacts(), now = NOW): EvaluationInput {
  return { now, patient, update, history };
}

/** Evaluates the baseline (or the given parameters) of a built-in protocol. */
export function evaluateBuiltIn(builtIn: BuiltInProtocol, input: EvaluationInput, parameters: Record<string, number> = {}): EvaluationResult {
  return evaluateProtocol(builtIn.build(parameters), input);
}

/** A minimal valid custom protocol on `kinds` with `condition`, for engine tests. */
export function customProtocol(condition: string, overrides: Partial<ProtocolDefinition> = {}): ProtocolDefinition {
  return {
    name: 'Custom test protocol',
    description: 'For tests.',
    trigger: { type: 'ON_UPDATE', kinds: ['VITALS'] },
    appliesWhen: null,
    condition,
    severity: 'WARNING',
    actions: [{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE'] }],
    escalation: { tiers: [{ targets: [{ type: 'ROLE', role: 'MIDWIFE' }], ackTimeoutMinutes: 30 }], fallback: { targets: [{ type: 'ROLE', role: 'PRIMARY_CARE_PROVIDER' }], ackTimeoutMinutes: 60 }, repeat: 0 },
    onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
    guideline: null,
    ...overrides,
  };
}
