import { describe, expect, it } from 'vitest';
import { MISSED_CHECK_IN } from '../../src/protocols/built-in/index.js';
import { DAY_MS, evaluateBuiltIn, HOUR_MS, inputOf, observation, patientFacts } from './protocol-fixtures.js';

describe('missed check-in (SCHEDULED, no log for 3 days → outreach task)', () => {
  const lastLogDaysAgo = (days: number) => inputOf(null, [observation('MOOD', { score: 3 }, { ago: days * DAY_MS, id: 'last' })]);

  it('does not match when the last log was 2 days ago', () => {
    expect(evaluateBuiltIn(MISSED_CHECK_IN, lastLogDaysAgo(2)).outcome).toBe('NOT_MATCHED');
  });

  it('matches when the last log was 3 days ago, creating a coordinator task', () => {
    const result = evaluateBuiltIn(MISSED_CHECK_IN, lastLogDaysAgo(3));
    expect(result).toMatchObject({ outcome: 'MATCHED', severity: 'INFO', evidenceIds: ['last'] });
    expect(result.actions).toEqual([expect.objectContaining({ type: 'CREATE_TASK', assignTo: 'CARE_COORDINATOR' })]);
  });

  it('does not match 2 days 23 hours after the last log', () => {
    expect(evaluateBuiltIn(MISSED_CHECK_IN, inputOf(null, [observation('SLEEP', { hours: 5 }, { ago: 3 * DAY_MS - HOUR_MS })])).outcome).toBe('NOT_MATCHED');
  });

  it('counts a log of any kind (an infant weighing yesterday)', () => {
    const history = [observation('MOOD', { score: 3 }, { ago: 10 * DAY_MS }), observation('INFANT_VITALS', { weightGrams: 3200 }, { ago: DAY_MS })];
    expect(evaluateBuiltIn(MISSED_CHECK_IN, inputOf(null, history)).outcome).toBe('NOT_MATCHED');
  });

  it('treats a patient who never logged as missed (EVALUATE_AS_MATCH), with the task', () => {
    const result = evaluateBuiltIn(MISSED_CHECK_IN, inputOf(null, []));
    expect(result.outcome).toBe('INCOMPLETE');
    expect(result.missingFacts).toEqual(['daysSinceLast("ANY")']);
    expect(result.actions).toEqual(MISSED_CHECK_IN.build({}).actions);
    expect(result.incompleteData).toBe(false);
  });

  it('does not apply in the first days after delivery', () => {
    expect(evaluateBuiltIn(MISSED_CHECK_IN, inputOf(null, [], patientFacts({ deliveredDaysAgo: 2 }))).outcome).toBe('NOT_APPLICABLE');
  });

  it('is not evaluated for updates (scheduled rules apply only without one)', () => {
    expect(evaluateBuiltIn(MISSED_CHECK_IN, inputOf(observation('MOOD', { score: 3 }))).outcome).toBe('NOT_APPLICABLE');
  });

  it('ignores records after the evaluation time (a dry run in the past)', () => {
    const history = [observation('MOOD', { score: 3 }, { ago: 5 * DAY_MS }), observation('MOOD', { score: 3 }, { ago: -DAY_MS })];
    expect(evaluateBuiltIn(MISSED_CHECK_IN, inputOf(null, history)).outcome).toBe('MATCHED');
  });

  it('uses a tightened number of days (2)', () => {
    expect(evaluateBuiltIn(MISSED_CHECK_IN, lastLogDaysAgo(2), { days: 2 }).outcome).toBe('MATCHED');
  });
});
