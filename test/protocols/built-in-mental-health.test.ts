import { describe, expect, it } from 'vitest';
import { scoreScreening } from '../../src/clinical/screening.js';
import {
  EPDS_POSSIBLE_DEPRESSION, EPDS_PROBABLE_DEPRESSION, EPDS_SELF_HARM, PHQ9_SELF_HARM, WORSENING_SCREENING_TREND,
} from '../../src/protocols/built-in/index.js';
import {
  DAY_MS, epdsAnswersFor, epdsScoresTotalling, evaluateBuiltIn, inputOf, observation, screening,
} from './protocol-fixtures.js';

describe('EPDS self-harm item (epds-self-harm)', () => {
  it('matches as CRITICAL with the crisis-line message when the all-first-options screen scores item 10 = 3 (reverse-scored)', () => {
    const answers = new Array<number>(10).fill(0);
    expect(scoreScreening('EPDS', answers)).toMatchObject({ total: 21 });
    expect(scoreScreening('EPDS', answers).items[9]).toBe(3);
    const result = evaluateBuiltIn(EPDS_SELF_HARM, inputOf(screening('EPDS', answers, { id: 'epds-1' })));
    expect(result.outcome).toBe('MATCHED');
    expect(result.severity).toBe('CRITICAL');
    expect(result.actions).toContainEqual({ type: 'SEND_SAFETY_MESSAGE', template: 'CRISIS_LINE' });
    expect(result.actions).toContainEqual({ type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER'] });
    expect(result.evidenceIds).toEqual(['epds-1']);
  });

  it('matches item 10 = 1 whatever the total (total 1)', () => {
    const result = evaluateBuiltIn(EPDS_SELF_HARM, inputOf(screening('EPDS', epdsAnswersFor(epdsScoresTotalling(1, 1)))));
    expect(result.outcome).toBe('MATCHED');
  });

  it('does not match item 10 = 0, even with a high total (27)', () => {
    const result = evaluateBuiltIn(EPDS_SELF_HARM, inputOf(screening('EPDS', epdsAnswersFor(epdsScoresTotalling(27, 0)))));
    expect(result.outcome).toBe('NOT_MATCHED');
    expect(result.actions).toEqual([]);
  });

  it('raises a CRITICAL "incomplete safety screen" alert, never NOT_MATCHED, when item 10 is missing', () => {
    const items = [1, 1, 1, 1, 1, 1, 1, 1, 1];
    const update = observation('SCREENING', { instrument: 'EPDS', items, total: 9, maxTotal: 30, band: 'NONE' }, { id: 'partial' });
    const result = evaluateBuiltIn(EPDS_SELF_HARM, inputOf(update));
    expect(result.outcome).toBe('INCOMPLETE');
    expect(result.missingFacts).toEqual(['screening.items[9]']);
    expect(result.severity).toBe('CRITICAL');
    expect(result.incompleteData).toBe(true);
    expect(result.actions).toEqual([{ type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER'] }]);
    expect(result.trace.at(-1)).toEqual({ expression: 'screening.items[9] > 0', value: 'missing: screening.items[9]' });
  });

  it('treats an unanswered (null) item 10 as missing, not as 0', () => {
    const items = [0, 0, 0, 0, 0, 0, 0, 0, 0, null];
    const result = evaluateBuiltIn(EPDS_SELF_HARM, inputOf(observation('SCREENING', { instrument: 'EPDS', items, total: 0 })));
    expect(result.outcome).toBe('INCOMPLETE');
    expect(result.missingFacts).toEqual(['screening.items[9]']);
  });

  it('does not apply to PHQ-9 or GAD-7 screenings', () => {
    expect(evaluateBuiltIn(EPDS_SELF_HARM, inputOf(screening('PHQ9', [3, 3, 3, 3, 3, 3, 3, 3, 3]))).outcome).toBe('NOT_APPLICABLE');
    expect(evaluateBuiltIn(EPDS_SELF_HARM, inputOf(screening('GAD7', [3, 3, 3, 3, 3, 3, 3]))).outcome).toBe('NOT_APPLICABLE');
  });

  it('does not apply to other kinds of update', () => {
    expect(evaluateBuiltIn(EPDS_SELF_HARM, inputOf(observation('VITALS', { systolic: 120 }))).outcome).toBe('NOT_APPLICABLE');
  });
});

describe('PHQ-9 self-harm item (phq9-self-harm)', () => {
  it('matches item 9 = 1 with total 1, as CRITICAL', () => {
    const result = evaluateBuiltIn(PHQ9_SELF_HARM, inputOf(screening('PHQ9', [0, 0, 0, 0, 0, 0, 0, 0, 1])));
    expect(result).toMatchObject({ outcome: 'MATCHED', severity: 'CRITICAL' });
    expect(result.actions).toContainEqual({ type: 'SEND_SAFETY_MESSAGE', template: 'CRISIS_LINE' });
  });

  it('does not match item 9 = 0 with every other item at 3', () => {
    expect(evaluateBuiltIn(PHQ9_SELF_HARM, inputOf(screening('PHQ9', [3, 3, 3, 3, 3, 3, 3, 3, 0]))).outcome).toBe('NOT_MATCHED');
  });

  it('is INCOMPLETE naming screening.items[8] when item 9 is missing', () => {
    const update = observation('SCREENING', { instrument: 'PHQ9', items: [0, 0, 0, 0, 0, 0, 0, 0], total: 0 });
    const result = evaluateBuiltIn(PHQ9_SELF_HARM, inputOf(update));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['screening.items[8]'], severity: 'CRITICAL', incompleteData: true });
  });
});

describe('EPDS depression bands', () => {
  const epds = (total: number) => inputOf(screening('EPDS', epdsAnswersFor(epdsScoresTotalling(total))));

  it.each([
    [12, 'NOT_MATCHED'],
    [13, 'MATCHED'],
    [30 - 3, 'MATCHED'],
  ])('probable band (>= 13, WARNING): total %i is %s', (total, outcome) => {
    const result = evaluateBuiltIn(EPDS_PROBABLE_DEPRESSION, epds(total));
    expect(result.outcome).toBe(outcome);
    expect(result.severity).toBe('WARNING');
  });

  it.each([
    [9, 'NOT_MATCHED'],
    [10, 'MATCHED'],
    [12, 'MATCHED'],
    [13, 'NOT_MATCHED'],
  ])('possible band (10–12, INFO): total %i is %s', (total, outcome) => {
    const result = evaluateBuiltIn(EPDS_POSSIBLE_DEPRESSION, epds(total));
    expect(result.outcome).toBe(outcome);
    expect(result.severity).toBe('INFO');
  });

  it('scores the all-first-options EPDS (total 21) as probable, not possible', () => {
    const input = inputOf(screening('EPDS', new Array<number>(10).fill(0)));
    expect(evaluateBuiltIn(EPDS_PROBABLE_DEPRESSION, input).outcome).toBe('MATCHED');
    expect(evaluateBuiltIn(EPDS_POSSIBLE_DEPRESSION, input).outcome).toBe('NOT_MATCHED');
  });

  it('uses a tightened threshold (probable at 11)', () => {
    expect(evaluateBuiltIn(EPDS_PROBABLE_DEPRESSION, epds(11), { threshold: 11 }).outcome).toBe('MATCHED');
  });

  it('is INCOMPLETE when the total is missing', () => {
    const result = evaluateBuiltIn(EPDS_PROBABLE_DEPRESSION, inputOf(observation('SCREENING', { instrument: 'EPDS', items: [] })));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['screening.total'] });
  });
});

describe('worsening screening trend (worsening-screening-trend)', () => {
  const epdsTotal = (total: number, daysAgo: number, id: string) =>
    screening('EPDS', epdsAnswersFor(epdsScoresTotalling(total)), { ago: daysAgo * DAY_MS, id });

  it('matches a rise of 4 within 60 days and cites both screenings as evidence', () => {
    const result = evaluateBuiltIn(WORSENING_SCREENING_TREND, inputOf(epdsTotal(12, 0, 'now'), [epdsTotal(8, 30, 'before')]));
    expect(result.outcome).toBe('MATCHED');
    expect(result.evidenceIds).toEqual(['now', 'before']);
  });

  it('does not match a rise of 3 within 60 days', () => {
    expect(evaluateBuiltIn(WORSENING_SCREENING_TREND, inputOf(epdsTotal(11, 0, 'now'), [epdsTotal(8, 30, 'before')])).outcome).toBe('NOT_MATCHED');
  });

  it('matches a rise of 4 exactly 60 days apart (the window is inclusive)', () => {
    expect(evaluateBuiltIn(WORSENING_SCREENING_TREND, inputOf(epdsTotal(12, 0, 'now'), [epdsTotal(8, 60, 'before')])).outcome).toBe('MATCHED');
  });

  it('does not apply when the earlier screening is outside the 60 days', () => {
    expect(evaluateBuiltIn(WORSENING_SCREENING_TREND, inputOf(epdsTotal(20, 0, 'now'), [epdsTotal(8, 61, 'before')])).outcome).toBe('NOT_APPLICABLE');
  });

  it('never compares totals of different instruments', () => {
    const phq9 = screening('PHQ9', [0, 0, 0, 0, 0, 0, 0, 0, 0], { ago: 10 * DAY_MS });
    expect(evaluateBuiltIn(WORSENING_SCREENING_TREND, inputOf(epdsTotal(20, 0, 'now'), [phq9])).outcome).toBe('NOT_APPLICABLE');
  });

  it('honours configured rise and window (rise 3 within 90 days)', () => {
    const input = inputOf(epdsTotal(11, 0, 'now'), [epdsTotal(8, 80, 'before')]);
    expect(evaluateBuiltIn(WORSENING_SCREENING_TREND, input).outcome).toBe('NOT_APPLICABLE');
    expect(evaluateBuiltIn(WORSENING_SCREENING_TREND, input, { rise: 3, windowDays: 90 }).outcome).toBe('MATCHED');
  });

  it('compares the newest with the oldest screening in the window', () => {
    const input = inputOf(epdsTotal(12, 0, 'now'), [epdsTotal(8, 50, 'oldest'), epdsTotal(11, 20, 'middle')]);
    const result = evaluateBuiltIn(WORSENING_SCREENING_TREND, input);
    expect(result.outcome).toBe('MATCHED');
    expect(result.trace.at(-1)?.value).toBe('true');
  });
});
