import { sumScores, validateScreeningAnswers } from './screening-answers.js';
import { SCREENING_INSTRUMENTS, type EpdsBand, type ScoredScreening } from './screening-instrument.js';

/**
 * EPDS items (1-based) scored in reverse, 3,2,1,0 down the options; the
 * others (1, 2, 4) score 0,1,2,3. Clients send the option index and the
 * server scores, so clients never need to know this.
 */
export const EPDS_REVERSE_SCORED_ITEMS: ReadonlySet<number> = new Set([3, 5, 6, 7, 8, 9, 10]);

/** EPDS total at or above which depression is possible (more sensitive cut-off; Levis et al. 2020). */
export const EPDS_POSSIBLE_THRESHOLD = 10;

/** EPDS total at or above which depression is probable and assessment is due (Cox et al. 1987). */
export const EPDS_PROBABLE_THRESHOLD = 13;

/** The EPDS band for a total score 0–30. */
export function epdsBand(total: number): EpdsBand {
  if (total >= EPDS_PROBABLE_THRESHOLD) return 'PROBABLE';
  if (total >= EPDS_POSSIBLE_THRESHOLD) return 'POSSIBLE';
  return 'NONE';
}

/**
 * Scores an Edinburgh Postnatal Depression Scale submission.
 *
 * @param optionIndexes - the option chosen on each of the 10 items, 0–3, index 0 = item 1.
 * @throws {@link ScreeningInputError} when the answers are malformed.
 */
export function scoreEpds(optionIndexes: readonly number[]): ScoredScreening<'EPDS'> {
  const info = SCREENING_INSTRUMENTS.EPDS;
  const options = validateScreeningAnswers('EPDS', optionIndexes);
  const maxOption = info.optionCount - 1;
  const items = options.map((option, index) =>
    EPDS_REVERSE_SCORED_ITEMS.has(index + 1) ? maxOption - option : option,
  );
  const total = sumScores(items);
  return {
    instrument: 'EPDS',
    total,
    items,
    maxTotal: info.maxTotal,
    band: epdsBand(total),
    selfHarmItemPositive: (items[9] ?? 0) > 0,
  };
}
