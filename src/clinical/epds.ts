import { EPDS_DEFINITION } from './epds-definition.js';
import { scoreByDefinition } from './screening-answers.js';
import { bandOf, isReverseScored } from './screening-definition.js';
import type { EpdsBand, ScoredScreening } from './screening-instrument.js';

/**
 * EPDS items (1-based) scored in reverse, 3,2,1,0 down the options (items 3 and 5–10); the others
 * (1, 2, 4) score 0,1,2,3. Read from {@link EPDS_DEFINITION}. Clients send the option's position and
 * the server scores; `screeningInstruments` shows each option's score.
 */
export const EPDS_REVERSE_SCORED_ITEMS: ReadonlySet<number> = new Set(EPDS_DEFINITION.items.filter(isReverseScored).map((item) => item.number));

/** The EPDS band for a total score 0–30 (cut-offs 10 and 13). */
export function epdsBand(total: number): EpdsBand {
  return bandOf(EPDS_DEFINITION.bands, total);
}

/**
 * Scores an Edinburgh Postnatal Depression Scale submission.
 *
 * @param optionIndexes - the option chosen on each of the 10 items, 0–3, index 0 = item 1.
 * @throws {@link ScreeningInputError} when the answers are malformed.
 */
export function scoreEpds(optionIndexes: readonly number[]): ScoredScreening<'EPDS'> {
  return scoreByDefinition(EPDS_DEFINITION, optionIndexes);
}
