import { GAD7_DEFINITION } from './gad7-definition.js';
import { scoreByDefinition } from './screening-answers.js';
import { bandOf } from './screening-definition.js';
import type { Gad7Band, ScoredScreening } from './screening-instrument.js';

/** The GAD-7 band for a total score 0–21 (cut-offs 5, 10, 15). */
export function gad7Band(total: number): Gad7Band {
  return bandOf(GAD7_DEFINITION.bands, total);
}

/**
 * Scores a GAD-7 submission. Each option scores its position, so the answers are the item scores.
 * GAD-7 has no self-harm item, so `selfHarmItemPositive` is always `null`.
 *
 * @param answers - the score of each of the 7 items, 0–3, index 0 = item 1.
 * @throws {@link ScreeningInputError} when the answers are malformed.
 */
export function scoreGad7(answers: readonly number[]): ScoredScreening<'GAD7'> {
  return scoreByDefinition(GAD7_DEFINITION, answers);
}
