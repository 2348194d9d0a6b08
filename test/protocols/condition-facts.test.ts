import { describe, expect, it } from 'vitest';
import type { StatusKind } from '../../src/db/entities/index.js';
import { evaluateProtocol } from '../../src/protocols/engine.js';
import type { ProtocolDefinition } from '../../src/protocols/protocol.js';
import { daysSinceDate, parseSeries, PatientTimeline } from '../../src/protocols/history-window.js';
import { customProtocol, DAY_MS, HOUR_MS, INFANT_ID, inputOf, NOW, observation, patientFacts, screening, TWIN_ID } from './protocol-fixtures.js';

const on = (kinds: string[]): Partial<ProtocolDefinition> => ({ trigger: { type: 'ON_UPDATE', kinds: kinds as StatusKind[] } });
const outcome = (condition: string, update: ReturnType<typeof observation> | null, kinds: string[] = ['VITALS']) =>
  evaluateProtocol(customProtocol(condition, update ? on(kinds) : { trigger: { type: 'SCHEDULED', everyMinutes: 60 } }), inputOf(update)).outcome;

describe('the facts of the condition language', () => {
  it('exposes the update kind and how long ago it was recorded', () => {
    const update = observation('MOOD', { score: 3 }, { ago: 6 * HOUR_MS });
    expect(outcome('update.kind == "MOOD" && update.hoursSinceRecorded == 6.0', update, ['MOOD'])).toBe('MATCHED');
  });

  it('leaves update.kind missing for scheduled evaluations', () => {
    const result = evaluateProtocol(customProtocol('update.kind == "MOOD"', { trigger: { type: 'SCHEDULED', everyMinutes: 60 } }), inputOf(null));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['update.kind'] });
  });

  it('counts whole days postpartum from the delivery date (UTC), 0 on the day of birth', () => {
    const update = observation('MOOD', { score: 3 });
    const at = (delivered: number, condition: string) =>
      evaluateProtocol(customProtocol(condition, on(['MOOD'])), inputOf(update, [], patientFacts({ deliveredDaysAgo: delivered }))).outcome;
    expect(at(0, 'patient.daysPostpartum == 0')).toBe('MATCHED');
    expect(at(14, 'patient.daysPostpartum == 14')).toBe('MATCHED');
  });

  it('reads the screening fields of every instrument, and leaves selfHarmItemPositive missing for GAD-7', () => {
    const epds = screening('EPDS', new Array<number>(10).fill(0));
    expect(outcome('screening.total == 21 && screening.items[9] == 3 && size(screening.items) == 10 && screening.band == "PROBABLE" && screening.selfHarmItemPositive', epds, ['SCREENING'])).toBe('MATCHED');
    const gad7 = screening('GAD7', [1, 1, 1, 1, 1, 1, 1]);
    expect(outcome('screening.selfHarmItemPositive', gad7, ['SCREENING'])).toBe('INCOMPLETE');
    expect(outcome('!has(screening.selfHarmItemPositive) && screening.maxTotal == 21', gad7, ['SCREENING'])).toBe('MATCHED');
  });

  it('reads feeding, sleep, vitals and infant vitals payloads', () => {
    expect(outcome('feeding.wetDiapers == 3 && feeding.method == "BOTTLE" && feeding.volumeMl > 59.5', observation('FEEDING', { wetDiapers: 3, method: 'BOTTLE', volumeMl: 60 }), ['FEEDING'])).toBe('MATCHED');
    expect(outcome('sleep.hours < 4.0', observation('SLEEP', { hours: 3.5 }), ['SLEEP'])).toBe('MATCHED');
    expect(outcome('vitals.heartRate > 110.0 && vitals.bloodPressureCategory == "NORMAL"', observation('VITALS', { heartRate: 120, systolic: 110, bloodPressureCategory: 'NORMAL' }))).toBe('MATCHED');
    expect(outcome('infantVitals.weightGrams == 3100.0 && infant.birthWeightGrams == 3000.0 && infant.ageDays == 20', observation('INFANT_VITALS', { weightGrams: 3100 }), ['INFANT_VITALS'])).toBe('MATCHED');
  });

  it('leaves the objects of other kinds empty, so reading them is missing', () => {
    const result = evaluateProtocol(customProtocol('feeding.wetDiapers < 6'), inputOf(observation('VITALS', { systolic: 120 })));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['feeding.wetDiapers'] });
  });

  it('leaves infant facts missing for maternal updates', () => {
    const result = evaluateProtocol(customProtocol('infant.ageDays < 30'), inputOf(observation('VITALS', { systolic: 120 })));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['infant.ageDays'] });
  });
});

describe('series and the patient timeline', () => {
  it('parses kinds, ANY and instrument series, and refuses others', () => {
    expect(parseSeries('ANY')).toEqual({ kind: null, instrument: null });
    expect(parseSeries('VITALS')).toEqual({ kind: 'VITALS', instrument: null });
    expect(parseSeries('SCREENING:PHQ9')).toEqual({ kind: 'SCREENING', instrument: 'PHQ9' });
    expect(parseSeries('SCREENING:XYZ')).toBeNull();
    expect(parseSeries('vitals')).toBeNull();
  });

  it('keeps the update even when its recordedAt is slightly ahead of now (device clock skew)', () => {
    const update = observation('VITALS', { systolic: 150 }, { ago: -2 * 60 * 1000, id: 'skewed' });
    const timeline = new PatientTimeline(NOW, update, [], null);
    expect(timeline.valuesOf({ kind: 'VITALS', instrument: null }, 'systolic').map((v) => v.id)).toEqual(['skewed']);
  });

  it("reads only the update's infant for infant kinds, and every record of maternal kinds", () => {
    const history = [
      observation('FEEDING', { wetDiapers: 1 }, { ago: HOUR_MS, infantId: TWIN_ID, id: 'twin' }),
      observation('FEEDING', { wetDiapers: 1 }, { ago: HOUR_MS, infantId: INFANT_ID, id: 'mine' }),
      observation('MOOD', { score: 2 }, { ago: HOUR_MS, id: 'mood' }),
    ];
    const timeline = new PatientTimeline(NOW, null, history, INFANT_ID);
    expect(timeline.recordsOf({ kind: null, instrument: null }).map((r) => r.id).sort()).toEqual(['mine', 'mood']);
  });

  it('counts days since a date at UTC midnight and refuses impossible dates', () => {
    expect(daysSinceDate('2026-11-23', NOW)).toBe(0);
    expect(daysSinceDate('2026-11-22', NOW)).toBe(1);
    expect(daysSinceDate('2026-11-13', Date.UTC(2026, 10, 23) - 1)).toBe(9);
    expect(daysSinceDate('2026-02-30', NOW)).toBeNull();
    expect(daysSinceDate('23/11/2026', NOW)).toBeNull();
    expect(daysSinceDate('2026-11-23', NOW + DAY_MS)).toBe(1);
  });
});
