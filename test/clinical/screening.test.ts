import { describe, it, expect } from 'vitest';
import { EPDS_REVERSE_SCORED_ITEMS } from '../../src/clinical/epds.js';
import {
  SCREENING_INSTRUMENTS,
  SCREENING_INSTRUMENT_NAMES,
  ScreeningInputError,
  scoreScreening,
  type ScreeningInstrument,
} from '../../src/clinical/screening.js';

/** Catches the error thrown by `fn`, failing the test if nothing is thrown. */
function thrownBy(fn: () => unknown): ScreeningInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScreeningInputError);
    return error as ScreeningInputError;
  }
  throw new Error('expected a ScreeningInputError');
}

/** EPDS option indexes whose scored total is `total`, using only forward-scored item 1 and reverse items. */
function epdsOptionsForTotal(total: number): number[] {
  // All-last options score 3 on items 1, 2, 4 and 0 elsewhere: 9. Raise reverse items from there.
  const options = [3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
  let remaining = total - 9;
  for (const item of [3, 5, 6, 7, 8, 9]) {
    const raise = Math.min(3, Math.max(0, remaining));
    options[item - 1] = 3 - raise;
    remaining -= raise;
  }
  if (remaining !== 0) throw new Error(`cannot build EPDS total ${total} with item 10 at 0`);
  return options;
}

describe('scoreScreening: EPDS', () => {
  it('scores the first option on every item as 21, with item 10 scored 3 (CLINICAL.md)', () => {
    const result = scoreScreening('EPDS', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(result.total).toBe(21);
    expect(result.items).toEqual([0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
    expect(result.items[9]).toBe(3);
    expect(result.selfHarmItemPositive).toBe(true);
    expect(result.band).toBe('PROBABLE');
    expect(result.maxTotal).toBe(30);
    expect(result.instrument).toBe('EPDS');
  });

  it('scores the last option on every item as 9 (items 1, 2, 4 at 3, the rest at 0)', () => {
    const result = scoreScreening('EPDS', [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(result.items).toEqual([3, 3, 0, 3, 0, 0, 0, 0, 0, 0]);
    expect(result.total).toBe(9);
    expect(result.selfHarmItemPositive).toBe(false);
  });

  it('reverse-scores exactly items 3 and 5–10 (3,2,1,0 down the options)', () => {
    expect([...EPDS_REVERSE_SCORED_ITEMS].sort((a, b) => a - b)).toEqual([3, 5, 6, 7, 8, 9, 10]);
    for (let option = 0; option <= 3; option += 1) {
      const result = scoreScreening('EPDS', Array<number>(10).fill(option));
      expect(result.items[0]).toBe(option);
      expect(result.items[1]).toBe(option);
      expect(result.items[3]).toBe(option);
      expect(result.items[2]).toBe(3 - option);
      expect(result.items[4]).toBe(3 - option);
      expect(result.items[9]).toBe(3 - option);
    }
  });

  it('reaches the maximum 30 with the last option on items 1, 2, 4 and the first on the rest', () => {
    const result = scoreScreening('EPDS', [3, 3, 0, 3, 0, 0, 0, 0, 0, 0]);
    expect(result.total).toBe(30);
    expect(result.band).toBe('PROBABLE');
  });

  it.each([
    [9, 'NONE'],
    [10, 'POSSIBLE'],
    [12, 'POSSIBLE'],
    [13, 'PROBABLE'],
  ] as const)('bands a total of %i as %s', (total, band) => {
    const result = scoreScreening('EPDS', epdsOptionsForTotal(total));
    expect(result.total).toBe(total);
    expect(result.band).toBe(band);
  });

  it('bands a total of 0 as NONE', () => {
    const result = scoreScreening('EPDS', [0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
    expect(result.total).toBe(0);
    expect(result.band).toBe('NONE');
  });

  it('flags self-harm when item 10 scores above 0 even though the total is low', () => {
    const result = scoreScreening('EPDS', [0, 0, 3, 0, 3, 3, 3, 3, 3, 2]);
    expect(result.total).toBe(1);
    expect(result.items[9]).toBe(1);
    expect(result.band).toBe('NONE');
    expect(result.selfHarmItemPositive).toBe(true);
  });

  it('does not flag self-harm when item 10 scores 0 even though the total is high', () => {
    const result = scoreScreening('EPDS', [3, 3, 0, 3, 0, 0, 0, 0, 0, 3]);
    expect(result.total).toBe(27);
    expect(result.selfHarmItemPositive).toBe(false);
  });

  it('rejects 9 answers and 11 answers on the answers field with the counts in the message', () => {
    const nine = thrownBy(() => scoreScreening('EPDS', Array<number>(9).fill(0)));
    expect(nine.field).toBe('answers');
    expect(nine.message).toBe('EPDS needs exactly 10 answers, got 9');
    const eleven = thrownBy(() => scoreScreening('EPDS', Array<number>(11).fill(0)));
    expect(eleven.message).toBe('EPDS needs exactly 10 answers, got 11');
  });

  it('rejects an option index of 4 on that answer’s field without echoing the value', () => {
    const error = thrownBy(() => scoreScreening('EPDS', [0, 0, 0, 4, 0, 0, 0, 0, 0, 0]));
    expect(error.field).toBe('answers[3]');
    expect(error.message).toBe('answers[3] must be an integer from 0 to 3');
    expect(error.name).toBe('ScreeningInputError');
    expect(error).toBeInstanceOf(Error);
  });
});

describe('scoreScreening: PHQ-9', () => {
  it('uses the answers as item scores and sums them', () => {
    const result = scoreScreening('PHQ9', [0, 1, 2, 3, 0, 1, 2, 3, 0]);
    expect(result.items).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0]);
    expect(result.total).toBe(12);
    expect(result.maxTotal).toBe(27);
    expect(result.instrument).toBe('PHQ9');
  });

  it.each([
    [0, 'MINIMAL'],
    [4, 'MINIMAL'],
    [5, 'MILD'],
    [9, 'MILD'],
    [10, 'MODERATE'],
    [14, 'MODERATE'],
    [15, 'MODERATELY_SEVERE'],
    [19, 'MODERATELY_SEVERE'],
    [20, 'SEVERE'],
    [27, 'SEVERE'],
  ] as const)('bands a total of %i as %s', (total, band) => {
    const answers = Array.from({ length: 9 }, (_, i) => Math.min(3, Math.max(0, total - 3 * i)));
    answers.reverse();
    const result = scoreScreening('PHQ9', answers);
    expect(result.total).toBe(total);
    expect(result.band).toBe(band);
  });

  it('flags self-harm from item 9 alone and not from other items', () => {
    expect(scoreScreening('PHQ9', [0, 0, 0, 0, 0, 0, 0, 0, 1]).selfHarmItemPositive).toBe(true);
    expect(scoreScreening('PHQ9', [3, 3, 3, 3, 3, 3, 3, 3, 0]).selfHarmItemPositive).toBe(false);
  });

  it('rejects 10 answers', () => {
    const error = thrownBy(() => scoreScreening('PHQ9', Array<number>(10).fill(0)));
    expect(error.field).toBe('answers');
    expect(error.message).toBe('PHQ9 needs exactly 9 answers, got 10');
  });
});

describe('scoreScreening: GAD-7', () => {
  it.each([
    [4, 'MINIMAL'],
    [5, 'MILD'],
    [9, 'MILD'],
    [10, 'MODERATE'],
    [14, 'MODERATE'],
    [15, 'SEVERE'],
    [21, 'SEVERE'],
  ] as const)('bands a total of %i as %s', (total, band) => {
    const answers = Array.from({ length: 7 }, (_, i) => Math.min(3, Math.max(0, total - 3 * i)));
    const result = scoreScreening('GAD7', answers);
    expect(result.total).toBe(total);
    expect(result.band).toBe(band);
    expect(result.maxTotal).toBe(21);
  });

  it('reports no self-harm flag (null) because GAD-7 has no such item', () => {
    expect(scoreScreening('GAD7', [3, 3, 3, 3, 3, 3, 3]).selfHarmItemPositive).toBeNull();
  });

  it('rejects 6 answers', () => {
    const error = thrownBy(() => scoreScreening('GAD7', [0, 0, 0, 0, 0, 0]));
    expect(error.message).toBe('GAD7 needs exactly 7 answers, got 6');
  });
});

describe('scoreScreening: answer validation', () => {
  it.each([
    ['a fraction', 2.5],
    ['NaN', Number.NaN],
    ['a negative', -1],
    ['an option past the last', 4],
    ['infinity', Number.POSITIVE_INFINITY],
  ])('rejects %s on the field of the offending answer', (_label, bad) => {
    for (const instrument of SCREENING_INSTRUMENT_NAMES) {
      const answers = Array<number>(SCREENING_INSTRUMENTS[instrument].itemCount).fill(0);
      answers[2] = bad;
      const error = thrownBy(() => scoreScreening(instrument, answers));
      expect(error.field).toBe('answers[2]');
      expect(error.message).toBe('answers[2] must be an integer from 0 to 3');
    }
  });

  it('reports the first bad answer when several are bad', () => {
    const error = thrownBy(() => scoreScreening('GAD7', [0, 0, 0, 0, 0, 7, -1]));
    expect(error.field).toBe('answers[5]');
  });

  it('rejects non-number answers and holes from untyped callers', () => {
    const strings = ['1', 0, 0, 0, 0, 0, 0] as unknown as number[];
    expect(thrownBy(() => scoreScreening('GAD7', strings)).field).toBe('answers[0]');
    const sparse = [0, 0, 0, 0, 0, 0, 0];
    delete sparse[4];
    expect(thrownBy(() => scoreScreening('GAD7', sparse)).field).toBe('answers[4]');
  });

  it('rejects a missing answers list on the answers field', () => {
    const error = thrownBy(() => scoreScreening('PHQ9', null as unknown as number[]));
    expect(error.field).toBe('answers');
    expect(error.message).toBe('PHQ9 needs a list of exactly 9 answers');
  });

  it('rejects an unknown instrument on the instrument field', () => {
    const error = thrownBy(() => scoreScreening('BDI' as ScreeningInstrument, [0]));
    expect(error.field).toBe('instrument');
    expect(error.message).toBe('instrument must be one of EPDS, PHQ9, GAD7');
  });

  it('stores 0 rather than -0 for an answer of -0', () => {
    const result = scoreScreening('PHQ9', [-0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Object.is(result.items[0], 0)).toBe(true);
  });

  it('does not change the caller’s answers array', () => {
    const answers = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const result = scoreScreening('EPDS', answers);
    result.items[0] = 99;
    expect(answers).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('SCREENING_INSTRUMENTS', () => {
  it('records item counts, option counts, max totals, LOINC panels and self-harm items', () => {
    expect(SCREENING_INSTRUMENTS.EPDS).toMatchObject({ itemCount: 10, optionCount: 4, maxTotal: 30, loincPanel: '71354-5', selfHarmItem: 10 });
    expect(SCREENING_INSTRUMENTS.PHQ9).toMatchObject({ itemCount: 9, optionCount: 4, maxTotal: 27, loincPanel: '44249-1', selfHarmItem: 9 });
    expect(SCREENING_INSTRUMENTS.GAD7).toMatchObject({ itemCount: 7, optionCount: 4, maxTotal: 21, loincPanel: '69737-5', selfHarmItem: null });
  });

  it('has a max total equal to item count times the highest option score for each instrument', () => {
    for (const instrument of SCREENING_INSTRUMENT_NAMES) {
      const info = SCREENING_INSTRUMENTS[instrument];
      expect(info.maxTotal).toBe(info.itemCount * (info.optionCount - 1));
    }
  });

  it('is frozen so no caller can change the facts for everyone', () => {
    expect(Object.isFrozen(SCREENING_INSTRUMENTS)).toBe(true);
    expect(Object.isFrozen(SCREENING_INSTRUMENTS.EPDS)).toBe(true);
  });
});
