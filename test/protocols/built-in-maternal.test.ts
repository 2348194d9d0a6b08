import { describe, expect, it } from 'vitest';
import {
  HYPERTENSION, MATERNAL_SELF_HARM_SIGN, MATERNAL_WARNING_SIGN, SEVERE_BLOOD_PRESSURE, WARNING_SIGN_WITH_RAISED_BP,
} from '../../src/protocols/built-in/index.js';
import { evaluateBuiltIn, HOUR_MS, inputOf, observation } from './protocol-fixtures.js';

const vitals = (data: Record<string, unknown>, ago = 0, id?: string) => observation('VITALS', data, { ago, id });

describe('severe postpartum blood pressure (>= 160 or >= 110, CRITICAL)', () => {
  it.each([
    [{ systolic: 159, diastolic: 109 }, 'NOT_MATCHED'],
    [{ systolic: 160, diastolic: 80 }, 'MATCHED'],
    [{ systolic: 130, diastolic: 110 }, 'MATCHED'],
    [{ systolic: 159.9, diastolic: 109.9 }, 'NOT_MATCHED'],
    [{ systolic: 200, diastolic: 120 }, 'MATCHED'],
  ])('%o is %s', (data, outcome) => {
    const result = evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, inputOf(vitals(data)));
    expect(result.outcome).toBe(outcome);
    expect(result.severity).toBe('CRITICAL');
  });

  it('matches systolic 170 with no diastolic: one value suffices', () => {
    const result = evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, inputOf(vitals({ systolic: 170 })));
    expect(result.outcome).toBe('MATCHED');
    expect(result.missingFacts).toEqual([]);
  });

  it('matches diastolic 112 with no systolic', () => {
    expect(evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, inputOf(vitals({ diastolic: 112 }))).outcome).toBe('MATCHED');
  });

  it('is INCOMPLETE, never NOT_MATCHED, for systolic 120 with no diastolic, and raises a CRITICAL incomplete-data alert', () => {
    const result = evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, inputOf(vitals({ systolic: 120 })));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['vitals.diastolic'], severity: 'CRITICAL', incompleteData: true });
    expect(result.actions).toEqual([{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE', 'PRIMARY_CARE_PROVIDER'] }]);
  });

  it('is INCOMPLETE naming vitals.systolic for diastolic 80 with no systolic', () => {
    expect(evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, inputOf(vitals({ diastolic: 80 })))).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['vitals.systolic'] });
  });

  it('does not apply to vitals without any pressure (a temperature only)', () => {
    expect(evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, inputOf(vitals({ temperatureC: 37.0 }))).outcome).toBe('NOT_APPLICABLE');
  });

  it('traces each side of the OR and the whole', () => {
    const result = evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, inputOf(vitals({ systolic: 120 })));
    expect(result.trace).toEqual([
      { expression: 'appliesWhen: has(vitals.systolic) || has(vitals.diastolic)', value: 'true' },
      { expression: 'vitals.systolic >= 160', value: 'false' },
      { expression: 'vitals.diastolic >= 110', value: 'missing: vitals.diastolic' },
      { expression: 'vitals.systolic >= 160 || vitals.diastolic >= 110', value: 'missing: vitals.diastolic' },
    ]);
  });
});

describe('postpartum hypertension (>= 140 or >= 90, WARNING)', () => {
  it.each([
    [{ systolic: 139, diastolic: 89 }, 'NOT_MATCHED'],
    [{ systolic: 140, diastolic: 70 }, 'MATCHED'],
    [{ systolic: 120, diastolic: 90 }, 'MATCHED'],
    [{ systolic: 140 }, 'MATCHED'],
    [{ diastolic: 90 }, 'MATCHED'],
    [{ systolic: 139 }, 'INCOMPLETE'],
  ])('%o is %s', (data, outcome) => {
    const result = evaluateBuiltIn(HYPERTENSION, inputOf(vitals(data)));
    expect(result.outcome).toBe(outcome);
    expect(result.severity).toBe('WARNING');
  });

  it('uses tightened thresholds (135/85)', () => {
    expect(evaluateBuiltIn(HYPERTENSION, inputOf(vitals({ systolic: 135, diastolic: 80 })), { systolic: 135, diastolic: 85 }).outcome).toBe('MATCHED');
  });
});

describe('maternal warning signs', () => {
  const symptoms = (signs: string[], ago = 0, id?: string) => observation('SYMPTOMS', { symptoms: signs }, { ago, id });

  it('raises a WARNING for any Hear Her sign', () => {
    const result = evaluateBuiltIn(MATERNAL_WARNING_SIGN, inputOf(symptoms(['PERSISTENT_HEADACHE'])));
    expect(result).toMatchObject({ outcome: 'MATCHED', severity: 'WARNING' });
  });

  it('raises a CRITICAL alert with the crisis line for thoughts of harm', () => {
    const result = evaluateBuiltIn(MATERNAL_SELF_HARM_SIGN, inputOf(symptoms(['OVERWHELMING_TIREDNESS', 'THOUGHTS_OF_HARM'])));
    expect(result).toMatchObject({ outcome: 'MATCHED', severity: 'CRITICAL' });
    expect(result.actions).toContainEqual({ type: 'SEND_SAFETY_MESSAGE', template: 'CRISIS_LINE' });
  });

  it('does not raise the self-harm sign protocol for other signs', () => {
    expect(evaluateBuiltIn(MATERNAL_SELF_HARM_SIGN, inputOf(symptoms(['VISION_CHANGES']))).outcome).toBe('NOT_MATCHED');
  });

  it('ignores names that are not warning signs', () => {
    expect(evaluateBuiltIn(MATERNAL_SELF_HARM_SIGN, inputOf(symptoms(['thoughts_of_harm']))).outcome).toBe('NOT_MATCHED');
  });

  describe('a sign together with raised blood pressure (CRITICAL)', () => {
    it('matches a sign logged after a raised pressure within 24 hours, citing both', () => {
      const result = evaluateBuiltIn(WARNING_SIGN_WITH_RAISED_BP, inputOf(symptoms(['PERSISTENT_HEADACHE'], 0, 'sign'), [vitals({ systolic: 145, diastolic: 85 }, 3 * HOUR_MS, 'bp')]));
      expect(result).toMatchObject({ outcome: 'MATCHED', severity: 'CRITICAL' });
      expect(result.evidenceIds).toEqual(expect.arrayContaining(['sign', 'bp']));
    });

    it('matches a raised pressure logged after a sign', () => {
      const result = evaluateBuiltIn(WARNING_SIGN_WITH_RAISED_BP, inputOf(vitals({ systolic: 120, diastolic: 95 }), [symptoms(['VISION_CHANGES'], 5 * HOUR_MS)]));
      expect(result.outcome).toBe('MATCHED');
    });

    it('does not match a sign with a normal pressure', () => {
      const result = evaluateBuiltIn(WARNING_SIGN_WITH_RAISED_BP, inputOf(symptoms(['PERSISTENT_HEADACHE']), [vitals({ systolic: 139, diastolic: 89 }, HOUR_MS)]));
      expect(result.outcome).toBe('NOT_MATCHED');
    });

    it('does not apply when the pressure is older than 24 hours', () => {
      const result = evaluateBuiltIn(WARNING_SIGN_WITH_RAISED_BP, inputOf(symptoms(['PERSISTENT_HEADACHE']), [vitals({ systolic: 150, diastolic: 95 }, 25 * HOUR_MS)]));
      expect(result.outcome).toBe('NOT_APPLICABLE');
    });

    it('does not apply to a raised pressure without any sign', () => {
      expect(evaluateBuiltIn(WARNING_SIGN_WITH_RAISED_BP, inputOf(vitals({ systolic: 150, diastolic: 95 }))).outcome).toBe('NOT_APPLICABLE');
    });
  });
});
