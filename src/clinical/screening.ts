/**
 * Entry point for scoring screening questionnaires: validates a submission
 * and dispatches to the instrument's scorer. Pure; no I/O.
 *
 * @module
 */
import { scoreEpds } from './epds.js';
import { scoreGad7 } from './gad7.js';
import { scorePhq9 } from './phq9.js';
import { ScreeningInputError } from './screening-input.error.js';
import type { ScoredScreening, ScreeningInstrument } from './screening-instrument.js';

export { ScreeningInputError } from './screening-input.error.js';
export {
  EPDS_BANDS,
  GAD7_BANDS,
  PHQ9_BANDS,
  SCREENING_DEFINITIONS,
  SCREENING_INSTRUMENT_NAMES,
  SCREENING_INSTRUMENTS,
} from './screening-instrument.js';
export { isReverseScored } from './screening-definition.js';
export type { ScreeningBandRange, ScreeningDefinition, ScreeningItem, ScreeningOption } from './screening-definition.js';
export type {
  EpdsBand,
  Gad7Band,
  Phq9Band,
  ScoredScreening,
  ScreeningBand,
  ScreeningBandOf,
  ScreeningInstrument,
  ScreeningInstrumentInfo,
} from './screening-instrument.js';

const SCORERS: { readonly [I in ScreeningInstrument]: (answers: readonly number[]) => ScoredScreening<I> } = {
  EPDS: scoreEpds,
  PHQ9: scorePhq9,
  GAD7: scoreGad7,
};

/**
 * Validates and scores one screening submission.
 *
 * @param instrument - which questionnaire was answered.
 * @param answers - one answer per item, index 0 = item 1: the chosen option
 *   index 0–3 for EPDS (the server applies reverse scoring), the item score
 *   0–3 for PHQ-9 and GAD-7.
 * @returns the per-item scores, total, band and self-harm flag.
 * @throws {@link ScreeningInputError} (field `instrument`, `answers` or
 *   `answers[i]`) when the input is malformed; map it to `BAD_USER_INPUT`.
 */
export function scoreScreening<I extends ScreeningInstrument>(
  instrument: I,
  answers: readonly number[],
): ScoredScreening<I> {
  if (!Object.hasOwn(SCORERS, instrument)) {
    throw ScreeningInputError.unknownInstrument();
  }
  return SCORERS[instrument](answers);
}
