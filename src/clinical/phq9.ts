import { sumScores, validateScreeningAnswers } from './screening-answers.js';
import { SCREENING_INSTRUMENTS, type Phq9Band, type ScoredScreening } from './screening-instrument.js';

/** The PHQ-9 band for a total score 0–27 (cut-offs 5, 10, 15, 20). */
export function phq9Band(total: number): Phq9Band {
  if (total >= 20) return 'SEVERE';
  if (total >= 15) return 'MODERATELY_SEVERE';
  if (total >= 10) return 'MODERATE';
  if (total >= 5) return 'MILD';
  return 'MINIMAL';
}

/**
 * Scores a PHQ-9 submission. Answers are the item scores themselves.
 *
 * @param answers - the score of each of the 9 items, 0–3, index 0 = item 1.
 * @throws {@link ScreeningInputError} when the answers are malformed.
 */
export function scorePhq9(answers: readonly number[]): ScoredScreening<'PHQ9'> {
  const items = validateScreeningAnswers('PHQ9', answers);
  const total = sumScores(items);
  return {
    instrument: 'PHQ9',
    total,
    items,
    maxTotal: SCREENING_INSTRUMENTS.PHQ9.maxTotal,
    band: phq9Band(total),
    selfHarmItemPositive: (items[8] ?? 0) > 0,
  };
}
