import { ScreeningInputError } from './screening-input.error.js';
import { SCREENING_INSTRUMENTS, type ScreeningInstrument } from './screening-instrument.js';

/**
 * Checks raw answers against an instrument's item and option counts and
 * returns a fresh copy safe to score.
 *
 * Accepts `unknown` because answers arrive from clients: each must be
 * an integer from 0 to `optionCount - 1` (NaN, fractions, negatives and
 * out-of-range options are rejected).
 *
 * @throws {@link ScreeningInputError} with field `answers` for a missing list or
 *   wrong count, or `answers[i]` (0-based) for the first bad answer.
 */
export function validateScreeningAnswers(
  instrument: ScreeningInstrument,
  answers: unknown,
): number[] {
  const { itemCount, optionCount } = SCREENING_INSTRUMENTS[instrument];
  if (!Array.isArray(answers)) {
    throw ScreeningInputError.answersNotAList(instrument, itemCount);
  }
  if (answers.length !== itemCount) {
    throw ScreeningInputError.wrongAnswerCount(instrument, itemCount, answers.length);
  }
  const maxOption = optionCount - 1;
  const valid: number[] = [];
  for (let index = 0; index < itemCount; index += 1) {
    const answer: unknown = answers[index];
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
