import { describe, expect, it } from 'vitest';
import {
  EPDS_BANDS,
  GAD7_BANDS,
  PHQ9_BANDS,
  SCREENING_DEFINITIONS,
  SCREENING_INSTRUMENT_NAMES,
  SCREENING_INSTRUMENTS,
  scoreScreening,
} from '../../src/clinical/screening.js';

describe('screening definitions: what the catalogue says is what the scorer does', () => {
  for (const instrument of SCREENING_INSTRUMENT_NAMES) {
    const definition = SCREENING_DEFINITIONS[instrument];

    it(`${instrument}: every option of every item scores what the catalogue says`, () => {
      let checked = 0;
      for (const [index, item] of definition.items.entries()) {
        for (const [position, option] of item.options.entries()) {
          const answers = definition.items.map((_, i) => (i === index ? position : 0));
          const scored = scoreScreening(instrument, answers);
          expect(scored.items[index], `${instrument} item ${item.number} option ${position}`).toBe(option.score);
          const otherScores = definition.items.map((other, i) => (i === index ? option.score : other.options[0]!.score));
          expect(scored.total).toBe(otherScores.reduce((a, b) => a + b, 0));
          checked += 1;
        }
      }
      expect(checked).toBe(SCREENING_INSTRUMENTS[instrument].itemCount * SCREENING_INSTRUMENTS[instrument].optionCount);
    });

    it(`${instrument}: the self-harm flag follows the catalogue's self-harm item`, () => {
      const selfHarm = definition.items.find((item) => item.selfHarm);
      if (!selfHarm) {
        expect(scoreScreening(instrument, definition.items.map(() => 3)).selfHarmItemPositive).toBeNull();
        return;
      }
      for (const [position, option] of selfHarm.options.entries()) {
        const answers = definition.items.map((item) => (item === selfHarm ? position : item.options.findIndex((o) => o.score === 0)));
        expect(scoreScreening(instrument, answers).selfHarmItemPositive).toBe(option.score > 0);
      }
    });

    it(`${instrument}: every total falls in the catalogue's band for it`, () => {
      const info = SCREENING_INSTRUMENTS[instrument];
      expect(definition.bands[0]!.minTotal).toBe(0);
      for (let total = 0; total <= info.maxTotal; total += 1) {
        const expected = [...definition.bands].reverse().find((range) => total >= range.minTotal)!.band;
        const answers = answersScoring(instrument, total);
        const scored = scoreScreening(instrument, answers);
        expect(scored.total).toBe(total);
        expect(scored.band).toBe(expected);
      }
    });

    it(`${instrument}: offers four options on every item, numbered in order`, () => {
      expect(definition.items.map((item) => item.number)).toEqual(definition.items.map((_, i) => i + 1));
      for (const item of definition.items) expect(item.options).toHaveLength(4);
    });
  }

  it('lists every band of each instrument, lowest first', () => {
    expect(SCREENING_DEFINITIONS.EPDS.bands.map((b) => b.band)).toEqual([...EPDS_BANDS]);
    expect(SCREENING_DEFINITIONS.PHQ9.bands.map((b) => b.band)).toEqual([...PHQ9_BANDS]);
    expect(SCREENING_DEFINITIONS.GAD7.bands.map((b) => b.band)).toEqual([...GAD7_BANDS]);
  });

  it('cannot be changed by a caller', () => {
    const epds = SCREENING_DEFINITIONS.EPDS;
    expect(Object.isFrozen(epds.items[2]!.options[0])).toBe(true);
    expect(() => {
      (epds.items[2]!.options[0] as { score: number }).score = 0;
    }).toThrow(TypeError);
  });
});

/** Option positions whose scores add up to `total`, filling items in order with the highest score first. */
function answersScoring(instrument: keyof typeof SCREENING_DEFINITIONS, total: number): number[] {
  let remaining = total;
  return SCREENING_DEFINITIONS[instrument].items.map((item) => {
    const wanted = Math.min(3, remaining);
    remaining -= wanted;
    return item.options.findIndex((o) => o.score === wanted);
  });
}
