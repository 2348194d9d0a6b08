import { PHQ9_DEFINITION } from './phq9-definition.js';
import { scoreByDefinition } from './screening-answers.js';
import { bandOf } from './screening-definition.js';
import type { Phq9Band, ScoredScreening } from './screening-instrument.js';

/** The PHQ-9 band for a total score 0–27 (cut-offs 5, 10, 15, 20). */
export function phq9Band(total: number): Phq9Band {
  return bandOf(PHQ9_DEFINITION.bands, total);
}

/**
 * Scores a PHQ-9 submission. Each option scores its position, so the answers are the item scores.
 *
 * @param answers - the score of each of the 9 items, 0–3, index 0 = item 1.
 * @throws {@link ScreeningInputError} when the answers are malformed.
 */
export function scorePhq9(answers: readonly number[]): ScoredScreening<'PHQ9'> {
  return scoreByDefinition(PHQ9_DEFINITION, answers);
}
