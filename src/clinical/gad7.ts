import { sumScores, validateScreeningAnswers } from './screening-answers.js';
import { SCREENING_INSTRUMENTS, type Gad7Band, type ScoredScreening } from './screening-instrument.js';

/** The GAD-7 band for a total score 0–21 (cut-offs 5, 10, 15). */
export function gad7Band(total: number): Gad7Band {
  if (total >= 15) return 'SEVERE';
  if (total >= 10) return 'MODERATE';
  if (total >= 5) return 'MILD';
  return 'MINIMAL';
}

/**
 * Scores a GAD-7 submission. Answers are the item scores themselves. GAD-7
 * has no self-harm item, so `selfHarmItemPositive` is always `null`.
 *
 * @param answers - the score of each of the 7 items, 0–3, index 0 = item 1.
 * @throws {@link ScreeningInputError} when the answers are malformed.
 */
export function scoreGad7(answers: readonly number[]): ScoredScreening<'GAD7'> {
  const items = validateScreeningAnswers('GAD7', answers);
  const total = sumScores(items);
  return {
    instrument: 'GAD7',
    total,
    items,
    maxTotal: SCREENING_INSTRUMENTS.GAD7.maxTotal,
    band: gad7Band(total),
    selfHarmItemPositive: null,
  };
}
