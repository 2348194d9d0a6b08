import { describe, expect, it } from 'vitest';
import { ageBand, postpartumBand, suppressSmallCells } from '../../src/research/small-cell-suppression.js';

describe('small-cell suppression', () => {
  it('releases groups of at least k people and withholds smaller ones', () => {
    const released = suppressSmallCells(
      [
        { group: 'a', people: 12, value: 1 },
        { group: 'b', people: 4, value: 2 },
        { group: 'c', people: 3, value: 3 },
        { group: 'd', people: 11, value: 4 },
      ],
      11,
    );
    expect(released).toEqual([
      { group: 'a', people: 12, value: 1, suppressed: false },
      { group: 'b', people: null, value: null, suppressed: true },
      { group: 'c', people: null, value: null, suppressed: true },
      { group: 'd', people: 11, value: 4, suppressed: false },
    ]);
  });

  it('withholds the next smallest group too when only one would be hidden, so subtraction reveals nothing', () => {
    const released = suppressSmallCells(
      [
        { group: 'a', people: 30, value: 1 },
        { group: 'b', people: 15, value: 2 },
        { group: 'c', people: 2, value: 3 },
      ],
      5,
    );
    expect(released.map((g) => [g.group, g.suppressed])).toEqual([
      ['a', false],
      ['b', true],
      ['c', true],
    ]);
  });

  it('drops empty groups and refuses a k below 2', () => {
    expect(suppressSmallCells([{ group: 'a', people: 0, value: 0 }], 5)).toEqual([]);
    expect(() => suppressSmallCells([], 1)).toThrow(/at least 2/);
  });
});

describe('generalisation', () => {
  it('bands maternal age in five-year bands, counting the birthday', () => {
    expect(ageBand('1996-06-15', '2026-06-14')).toBe('25-29');
    expect(ageBand('1996-06-15', '2026-06-15')).toBe('30-34');
    expect(ageBand('2008-01-01', '2026-01-01')).toBe('<20');
    expect(ageBand('1970-01-01', '2026-01-01')).toBe('45+');
  });

  it('bands days after delivery on the postnatal schedule', () => {
    expect(postpartumBand(-1)).toBeNull();
    expect(postpartumBand(0)).toBe('0-2 weeks');
    expect(postpartumBand(20)).toBe('0-2 weeks');
    expect(postpartumBand(21)).toBe('3-6 weeks');
    expect(postpartumBand(49)).toBe('7-12 weeks');
    expect(postpartumBand(91)).toBe('13+ weeks');
  });
});
