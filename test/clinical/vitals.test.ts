import { describe, it, expect } from 'vitest';
import {
  BIRTH_WEIGHT_RANGE_GRAMS,
  DIAPER_COUNT_RANGE,
  DIASTOLIC_BP_RANGE_MMHG,
  MOOD_SCORE_RANGE,
  SYSTOLIC_BP_RANGE_MMHG,
  TEMPERATURE_RANGE_CELSIUS,
  classifyBloodPressure,
  isPlausible,
} from '../../src/clinical/vitals.js';

describe('classifyBloodPressure', () => {
  it.each([
    [159, 'HYPERTENSIVE'],
    [160, 'SEVERE'],
    [139, 'NORMAL'],
    [140, 'HYPERTENSIVE'],
  ] as const)('classifies systolic %i with a normal diastolic as %s', (systolic, category) => {
    expect(classifyBloodPressure(systolic, 70)).toBe(category);
  });

  it.each([
    [109, 'HYPERTENSIVE'],
    [110, 'SEVERE'],
    [89, 'NORMAL'],
    [90, 'HYPERTENSIVE'],
  ] as const)('classifies diastolic %i with a normal systolic as %s', (diastolic, category) => {
    expect(classifyBloodPressure(120, diastolic)).toBe(category);
  });

  it('lets either value alone reach severe when the other is normal', () => {
    expect(classifyBloodPressure(160, 60)).toBe('SEVERE');
    expect(classifyBloodPressure(100, 110)).toBe('SEVERE');
  });

  it('takes the higher category when the two values disagree', () => {
    expect(classifyBloodPressure(145, 112)).toBe('SEVERE');
    expect(classifyBloodPressure(165, 95)).toBe('SEVERE');
  });

  it('classifies from the systolic alone when the diastolic is missing', () => {
    expect(classifyBloodPressure(160)).toBe('SEVERE');
    expect(classifyBloodPressure(140, null)).toBe('HYPERTENSIVE');
    expect(classifyBloodPressure(120, undefined)).toBe('NORMAL');
  });

  it('classifies from the diastolic alone when the systolic is missing', () => {
    expect(classifyBloodPressure(undefined, 110)).toBe('SEVERE');
    expect(classifyBloodPressure(null, 90)).toBe('HYPERTENSIVE');
    expect(classifyBloodPressure(null, 80)).toBe('NORMAL');
  });

  it('returns UNKNOWN, never NORMAL, when both values are missing or not finite', () => {
    expect(classifyBloodPressure()).toBe('UNKNOWN');
    expect(classifyBloodPressure(null, null)).toBe('UNKNOWN');
    expect(classifyBloodPressure(Number.NaN, Number.NaN)).toBe('UNKNOWN');
  });

  it('ignores a NaN value and classifies from the other', () => {
    expect(classifyBloodPressure(Number.NaN, 112)).toBe('SEVERE');
  });
});

describe('plausible input ranges', () => {
  it('accepts the inclusive bounds and rejects just outside them', () => {
    expect(isPlausible(50, SYSTOLIC_BP_RANGE_MMHG)).toBe(true);
    expect(isPlausible(260, SYSTOLIC_BP_RANGE_MMHG)).toBe(true);
    expect(isPlausible(49, SYSTOLIC_BP_RANGE_MMHG)).toBe(false);
    expect(isPlausible(261, SYSTOLIC_BP_RANGE_MMHG)).toBe(false);
    expect(isPlausible(20, DIASTOLIC_BP_RANGE_MMHG)).toBe(true);
    expect(isPlausible(160, DIASTOLIC_BP_RANGE_MMHG)).toBe(true);
    expect(isPlausible(7001, BIRTH_WEIGHT_RANGE_GRAMS)).toBe(false);
  });

  it('accepts fractional temperatures and rejects a Fahrenheit reading', () => {
    expect(isPlausible(38.0, TEMPERATURE_RANGE_CELSIUS)).toBe(true);
    expect(isPlausible(36.6, TEMPERATURE_RANGE_CELSIUS)).toBe(true);
    expect(isPlausible(100.4, TEMPERATURE_RANGE_CELSIUS)).toBe(false);
  });

  it('rejects fractions for whole-number scales and counts', () => {
    expect(isPlausible(3, MOOD_SCORE_RANGE)).toBe(true);
    expect(isPlausible(3.5, MOOD_SCORE_RANGE)).toBe(false);
    expect(isPlausible(0, MOOD_SCORE_RANGE)).toBe(false);
    expect(isPlausible(30, DIAPER_COUNT_RANGE)).toBe(true);
    expect(isPlausible(1.5, DIAPER_COUNT_RANGE)).toBe(false);
  });

  it('never accepts NaN or infinity', () => {
    expect(isPlausible(Number.NaN, SYSTOLIC_BP_RANGE_MMHG)).toBe(false);
    expect(isPlausible(Number.POSITIVE_INFINITY, DIAPER_COUNT_RANGE)).toBe(false);
  });
});
