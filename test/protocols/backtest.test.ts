import { describe, expect, it } from 'vitest';
import { backtest, backtestInSlices, BacktestTimeLimitError, type BacktestSlicing } from '../../src/protocols/backtest.js';
import { HYPERTENSION, MISSED_CHECK_IN, SEVERE_BLOOD_PRESSURE } from '../../src/protocols/built-in/index.js';
import type { ObservationFact, PatientFacts } from '../../src/protocols/protocol.js';
import { DAY_MS, NOW, observation, patientFacts } from './protocol-fixtures.js';

const FROM = NOW - 10 * DAY_MS;
const TO = NOW;
const reading = (daysBeforeNow: number, data: Record<string, unknown>): ObservationFact => observation('VITALS', data, { ago: daysBeforeNow * DAY_MS });
const withId = (id: string): PatientFacts => ({ ...patientFacts({ deliveredDaysAgo: 30 }), patientId: id });

/** Three patients: rising pressures, an incomplete reading then a raised one, and no vitals at all. */
const PATIENTS = [
  {
    patient: withId('rising'),
    observations: [
      reading(12, { systolic: 170, diastolic: 100 }), // before the window: history only, never a trigger
      reading(9, { systolic: 120, diastolic: 80 }),
      reading(8, { systolic: 165, diastolic: 100 }),
      reading(7, { systolic: 170, diastolic: 95 }),
      reading(6, { systolic: 150, diastolic: 80 }),
      observation('MOOD', { score: 4 }, { ago: 5 * DAY_MS }),
    ],
  },
  {
    patient: withId('incomplete'),
    observations: [reading(5, { systolic: 120 }), reading(4, { systolic: 145, diastolic: 95 })],
  },
  { patient: withId('quiet'), observations: [observation('MOOD', { score: 4 }, { ago: 3 * DAY_MS })] },
];

describe('backtest', () => {
  it('counts one alert per patient for a WARNING rule and attaches repeated matches', () => {
    expect(backtest(HYPERTENSION.build({}), PATIENTS, FROM, TO)).toEqual({
      evaluations: 6,
      alertsOpened: 2,
      matchesDeduplicated: 3,
      incompleteDataAlerts: 1,
      patientsAffected: 2,
      repages: 0,
    });
  });

  it('re-pages repeated CRITICAL matches instead of suppressing them', () => {
    const result = backtest(SEVERE_BLOOD_PRESSURE.build({}), PATIENTS, FROM, TO);
    expect(result).toEqual({
      evaluations: 6,
      alertsOpened: 2,
      matchesDeduplicated: 0,
      incompleteDataAlerts: 1,
      patientsAffected: 2,
      repages: 1,
    });
  });

  it('replays only updates recorded inside [from, to]', () => {
    const result = backtest(HYPERTENSION.build({}), PATIENTS, NOW - 7.5 * DAY_MS, TO);
    expect(result.evaluations).toBe(4);
    expect(result.alertsOpened).toBe(2);
  });

  it('evaluates SCHEDULED rules once a day and keeps the task open once created', () => {
    const subjects = [
      { patient: withId('logs-daily'), observations: Array.from({ length: 12 }, (_, i) => observation('MOOD', { score: 4 }, { ago: i * DAY_MS })) },
      {
        patient: withId('stops-logging'),
        observations: [observation('MOOD', { score: 4 }, { ago: 11 * DAY_MS }), observation('MOOD', { score: 4 }, { ago: 9 * DAY_MS })],
      },
    ];
    const result = backtest(MISSED_CHECK_IN.build({}), subjects, FROM, TO);
    expect(result.evaluations).toBe(22);
    // The second patient's last log is 1 day into the window: the daily runs 4..10 days after the
    // window opens see 3 or more days without a log; the first opens the task, six attach to it.
    expect(result).toMatchObject({ alertsOpened: 1, matchesDeduplicated: 6, patientsAffected: 1, incompleteDataAlerts: 0 });
  });

  it('returns zeros for no patients', () => {
    expect(backtest(HYPERTENSION.build({}), [], FROM, TO)).toEqual({
      evaluations: 0, alertsOpened: 0, matchesDeduplicated: 0, incompleteDataAlerts: 0, patientsAffected: 0, repages: 0,
    });
  });
});

describe('backtestInSlices', () => {
  /** A clock that advances `step` ms per reading, and a pause that records when it was called. */
  const slicing = (step: number, sliceMs: number, limitMs: number): BacktestSlicing & { pauses: number[]; readings: () => number } => {
    let now = 0;
    let readings = 0;
    const pauses: number[] = [];
    return {
      elapsed: () => {
        readings++;
        return (now += step);
      },
      pause: async () => void pauses.push(readings),
      sliceMs,
      limitMs,
      pauses,
      readings: () => readings,
    };
  };

  it('gives the same counts as backtest, pausing between slices', async () => {
    const clock = slicing(1, 2, 1_000);
    const result = await backtestInSlices(HYPERTENSION.build({}), PATIENTS, FROM, TO, clock);
    expect(result).toEqual(backtest(HYPERTENSION.build({}), PATIENTS, FROM, TO));
    expect(clock.pauses.length).toBeGreaterThanOrEqual(2);
  });

  it('does not pause when every evaluation fits in one slice (positive control)', async () => {
    const clock = slicing(0, 10, 1_000);
    await backtestInSlices(HYPERTENSION.build({}), PATIENTS, FROM, TO, clock);
    expect(clock.pauses).toEqual([]);
  });

  it('stops with BacktestTimeLimitError once past its time limit', async () => {
    const clock = slicing(5, 100, 12);
    await expect(backtestInSlices(HYPERTENSION.build({}), PATIENTS, FROM, TO, clock)).rejects.toThrow(BacktestTimeLimitError);
    expect(clock.readings()).toBe(4);
  });
});
