import { describe, expect, it } from 'vitest';
import { INFANT_DIAPER_OUTPUT, INFANT_FEVER, INFANT_WEIGHT_LOSS } from '../../src/protocols/built-in/index.js';
import { evaluateBuiltIn, HOUR_MS, inputOf, observation, patientFacts, TWIN_ID } from './protocol-fixtures.js';

describe('infant fever (>= 38.0 °C at 8–60 days, CRITICAL)', () => {
  const fever = (temperatureC: number, ageDays: number) =>
    evaluateBuiltIn(INFANT_FEVER, inputOf(observation('INFANT_VITALS', { temperatureC }), [], patientFacts({ infantAgeDays: ageDays })));

  it.each([
    [38.0, 7, 'NOT_MATCHED'],
    [38.0, 8, 'MATCHED'],
    [38.0, 60, 'MATCHED'],
    [38.0, 61, 'NOT_MATCHED'],
    [37.9, 8, 'NOT_MATCHED'],
    [37.9, 60, 'NOT_MATCHED'],
    [38.5, 30, 'MATCHED'],
  ])('%f °C at day %i is %s', (temperature, age, outcome) => {
    const result = fever(temperature, age);
    expect(result.outcome).toBe(outcome);
    expect(result.severity).toBe('CRITICAL');
  });

  it('is INCOMPLETE naming the infant age when a fever is logged for an unknown infant', () => {
    const update = observation('INFANT_VITALS', { temperatureC: 38.4 }, { infantId: 'unknown-infant' });
    const result = evaluateBuiltIn(INFANT_FEVER, inputOf(update));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', severity: 'CRITICAL', incompleteData: true });
    expect(result.missingFacts).toContain('infant.ageDays');
  });

  it('decides a normal temperature without knowing the infant (NOT_MATCHED)', () => {
    const update = observation('INFANT_VITALS', { temperatureC: 36.8 }, { infantId: 'unknown-infant' });
    expect(evaluateBuiltIn(INFANT_FEVER, inputOf(update)).outcome).toBe('NOT_MATCHED');
  });

  it('does not apply to a weighing without a temperature', () => {
    expect(evaluateBuiltIn(INFANT_FEVER, inputOf(observation('INFANT_VITALS', { weightGrams: 3100 }))).outcome).toBe('NOT_APPLICABLE');
  });

  it('covers younger infants when tightened to day 0', () => {
    const input = inputOf(observation('INFANT_VITALS', { temperatureC: 38.0 }), [], patientFacts({ infantAgeDays: 3 }));
    expect(evaluateBuiltIn(INFANT_FEVER, input, { minAgeDays: 0 }).outcome).toBe('MATCHED');
  });
});

describe('infant weight loss (> 10 % of birth weight)', () => {
  const weighing = (weightGrams: number) => evaluateBuiltIn(INFANT_WEIGHT_LOSS, inputOf(observation('INFANT_VITALS', { weightGrams }, { id: 'w' })));

  it('does not match a loss of exactly 10 % (3000 g → 2700 g)', () => {
    expect(weighing(2700).outcome).toBe('NOT_MATCHED');
  });

  it('matches a loss of 10.1 % (3000 g → 2697 g)', () => {
    const result = weighing(2697);
    expect(result).toMatchObject({ outcome: 'MATCHED', severity: 'WARNING', evidenceIds: ['w'] });
  });

  it('does not match a weight above birth weight', () => {
    expect(weighing(3300).outcome).toBe('NOT_MATCHED');
  });

  it('uses the birth weight of the infant the weighing is for (twin of 2800 g)', () => {
    const update = observation('INFANT_VITALS', { weightGrams: 2500 }, { infantId: TWIN_ID });
    expect(evaluateBuiltIn(INFANT_WEIGHT_LOSS, inputOf(update)).outcome).toBe('MATCHED');
  });

  it('is INCOMPLETE when the infant is unknown (no birth weight)', () => {
    const update = observation('INFANT_VITALS', { weightGrams: 2500 }, { infantId: null });
    expect(evaluateBuiltIn(INFANT_WEIGHT_LOSS, inputOf(update))).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['infant.birthWeightGrams'] });
  });
});

describe('infant diaper output (from day 5: >= 6 wet and >= 2 dirty per 24 h)', () => {
  /** Feeds over the last day with these diaper counts, plus one feed 30 h ago so logging covers a day. */
  function day(wet: number, dirty: number, ageDays: number, infantId?: string) {
    const update = observation('FEEDING', { wetDiapers: wet, dirtyDiapers: dirty }, { infantId });
    const earlier = observation('FEEDING', { method: 'BREAST' }, { ago: 30 * HOUR_MS, infantId });
    return inputOf(update, [earlier], patientFacts({ infantAgeDays: ageDays }));
  }

  it.each([
    [5, 2, 5, 'MATCHED'],
    [6, 1, 5, 'MATCHED'],
    [6, 2, 5, 'NOT_MATCHED'],
    [5, 1, 4, 'NOT_MATCHED'],
    [0, 0, 4, 'NOT_MATCHED'],
    [0, 0, 5, 'MATCHED'],
  ])('%i wet and %i dirty at day %i is %s', (wet, dirty, age, outcome) => {
    expect(evaluateBuiltIn(INFANT_DIAPER_OUTPUT, day(wet, dirty, age)).outcome).toBe(outcome);
  });

  it('sums the counts of every entry in the last 24 hours', () => {
    const update = observation('FEEDING', { wetDiapers: 2, dirtyDiapers: 1 });
    const history = [
      observation('FEEDING', { wetDiapers: 2, dirtyDiapers: 1 }, { ago: 8 * HOUR_MS }),
      observation('FEEDING', { wetDiapers: 2 }, { ago: 16 * HOUR_MS }),
      observation('FEEDING', { wetDiapers: 9, dirtyDiapers: 9 }, { ago: 25 * HOUR_MS }),
    ];
    const input = inputOf(update, history, patientFacts({ infantAgeDays: 6 }));
    expect(evaluateBuiltIn(INFANT_DIAPER_OUTPUT, input).outcome).toBe('NOT_MATCHED');
  });

  it("does not count a twin's diapers", () => {
    const update = observation('FEEDING', { wetDiapers: 3, dirtyDiapers: 2 });
    const history = [
      observation('FEEDING', { wetDiapers: 5, dirtyDiapers: 2 }, { ago: HOUR_MS, infantId: TWIN_ID }),
      observation('FEEDING', { method: 'BREAST' }, { ago: 30 * HOUR_MS }),
    ];
    expect(evaluateBuiltIn(INFANT_DIAPER_OUTPUT, inputOf(update, history, patientFacts({ infantAgeDays: 6 }))).outcome).toBe('MATCHED');
  });

  it('does not apply during the first day of logging', () => {
    const input = inputOf(observation('FEEDING', { wetDiapers: 1, dirtyDiapers: 0 }), [], patientFacts({ infantAgeDays: 6 }));
    expect(evaluateBuiltIn(INFANT_DIAPER_OUTPUT, input).outcome).toBe('NOT_APPLICABLE');
  });

  it('is INCOMPLETE when no diaper counts were logged in the last 24 hours', () => {
    const update = observation('FEEDING', { method: 'BOTTLE', volumeMl: 60 });
    const input = inputOf(update, [observation('FEEDING', { method: 'BREAST' }, { ago: 30 * HOUR_MS })], patientFacts({ infantAgeDays: 6 }));
    const result = evaluateBuiltIn(INFANT_DIAPER_OUTPUT, input);
    expect(result.outcome).toBe('INCOMPLETE');
    expect(result.missingFacts).toEqual(['sum("FEEDING", "wetDiapers", hours(24))', 'sum("FEEDING", "dirtyDiapers", hours(24))']);
  });
});
