import { bandOf, maxItemScore, type ScreeningDefinition } from './screening-definition.js';
import { ScreeningInputError } from './screening-input.error.js';
import { SCREENING_DEFINITIONS, type ScoredScreening, type ScreeningInstrument } from './screening-instrument.js';

/**
 * Checks raw answers against an instrument's items and their options and
 * returns a fresh copy safe to score.
 *
 * Accepts `unknown` because answers arrive from clients: each must be the
 * 0-based position of one of its item's options (NaN, fractions, negatives and
 * out-of-range options are rejected).
 *
 * @throws {@link ScreeningInputError} with field `answers` for a missing list or
 *   wrong count, or `answers[i]` (0-based) for the first bad answer.
 */
export function validateScreeningAnswers(
  instrument: ScreeningInstrument,
  answers: unknown,
): number[] {
  const { items } = SCREENING_DEFINITIONS[instrument];
  if (!Array.isArray(answers)) {
    throw ScreeningInputError.answersNotAList(instrument, items.length);
  }
  if (answers.length !== items.length) {
    throw ScreeningInputError.wrongAnswerCount(instrument, items.length, answers.length);
  }
  const valid: number[] = [];
  for (let index = 0; index < items.length; index += 1) {
    const answer: unknown = answers[index];
    const maxOption = items[index]!.options.length - 1;
    if (typeof answer !== 'number' || !Number.isInteger(answer) || answer < 0 || answer > maxOption) {
      throw ScreeningInputError.answerOutOfRange(index, maxOption);
    }
    // Normalises -0 (which passes the checks above) so it never shows up in stored scores.
    valid.push(answer === 0 ? 0 : answer);
  }
  return valid;
}

/** Sums item scores. */
export function sumScores(items: readonly number[]): number {
  return items.reduce((total, score) => total + score, 0);
}

/**
 * Scores a submission by its instrument's definition: each answer (an option's position) scores
 * what that option carries, so reverse scoring is wherever the definition puts it.
 *
 * @param answers - one option position per item, index 0 = item 1.
 * @throws {@link ScreeningInputError} when the answers are malformed.
 */
export function scoreByDefinition<I extends ScreeningInstrument>(definition: ScreeningDefinition<I>, answers: readonly number[]): ScoredScreening<I> {
  const options = validateScreeningAnswers(definition.instrument, answers);
  const items = options.map((option, index) => definition.items[index]!.options[option]!.score);
  const total = sumScores(items);
  const selfHarmIndex = definition.items.findIndex((item) => item.selfHarm);
  return {
    instrument: definition.instrument,
    total,
    items,
    maxTotal: definition.items.reduce((sum, item) => sum + maxItemScore(item), 0),
    band: bandOf(definition.bands, total),
    selfHarmItemPositive: selfHarmIndex < 0 ? null : (items[selfHarmIndex] ?? 0) > 0,
  };
}
