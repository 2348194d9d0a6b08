import { describe, expect, it } from 'vitest';
import { BUILT_IN_PROTOCOLS, HYPERTENSION, SEVERE_BLOOD_PRESSURE } from '../../src/protocols/built-in/index.js';
import type { EvaluationResult } from '../../src/protocols/protocol.js';
import { withoutSuperseded } from '../../src/protocols/supersession.js';
import { customProtocol, evaluateBuiltIn, inputOf, observation } from './protocol-fixtures.js';
import { evaluateProtocol } from '../../src/protocols/engine.js';

/** The blood-pressure built-ins evaluated on one vitals reading, as the evaluator collects them. */
function bloodPressureResults(data: Record<string, unknown>): Array<{ builtInKey: string | null; result: EvaluationResult }> {
  const input = inputOf(observation('VITALS', data));
  return [SEVERE_BLOOD_PRESSURE, HYPERTENSION]
    .map((p) => ({ builtInKey: p.key, result: evaluateBuiltIn(p, input) }))
    .filter((r) => r.result.actions.length > 0);
}

const outcomes = (results: ReadonlyArray<{ builtInKey: string | null; result: EvaluationResult }>) => results.map((r) => [r.builtInKey, r.result.outcome]);

describe('withoutSuperseded', () => {
  it('keeps only the severe alert for a severe reading (one critical page, no second same-day warning)', () => {
    expect(outcomes(withoutSuperseded(bloodPressureResults({ systolic: 170, diastolic: 100 })))).toEqual([['severe-blood-pressure', 'MATCHED']]);
    expect(outcomes(withoutSuperseded(bloodPressureResults({ systolic: 130, diastolic: 110 })))).toEqual([['severe-blood-pressure', 'MATCHED']]);
  });

  it('keeps the hypertension alert for a raised but not severe reading', () => {
    expect(outcomes(withoutSuperseded(bloodPressureResults({ systolic: 150, diastolic: 95 })))).toEqual([['postpartum-hypertension', 'MATCHED']]);
    expect(outcomes(withoutSuperseded(bloodPressureResults({ systolic: 159, diastolic: 109 })))).toEqual([['postpartum-hypertension', 'MATCHED']]);
  });

  it('keeps a hypertension match beside a severe rule that could not decide (150 with no diastolic)', () => {
    expect(outcomes(withoutSuperseded(bloodPressureResults({ systolic: 150 })))).toEqual([
      ['severe-blood-pressure', 'INCOMPLETE'],
      ['postpartum-hypertension', 'MATCHED'],
    ]);
  });

  it('asks for a missing reading once, at the severe rule\'s severity, when neither rule can decide', () => {
    const kept = withoutSuperseded(bloodPressureResults({ systolic: 120 }));
    expect(outcomes(kept)).toEqual([['severe-blood-pressure', 'INCOMPLETE']]);
    expect(kept[0]!.result.severity).toBe('CRITICAL');
  });

  it('never drops a custom protocol or a CRITICAL result, whatever supersedes what', () => {
    const input = inputOf(observation('VITALS', { systolic: 170, diastolic: 100 }));
    const severe = { builtInKey: SEVERE_BLOOD_PRESSURE.key, result: evaluateBuiltIn(SEVERE_BLOOD_PRESSURE, input) };
    const custom = { builtInKey: null, result: evaluateProtocol(customProtocol('vitals.systolic >= 140', { trigger: { type: 'ON_UPDATE', kinds: ['VITALS'] } }), input) };
    const raisedToCritical = { builtInKey: HYPERTENSION.key, result: { ...evaluateBuiltIn(HYPERTENSION, input), severity: 'CRITICAL' as const } };
    expect(withoutSuperseded([severe, custom, raisedToCritical])).toEqual([severe, custom, raisedToCritical]);
  });

  it('names only built-ins that exist and no built-in that supersedes itself', () => {
    const keys = new Set(BUILT_IN_PROTOCOLS.map((p) => p.key));
    for (const p of BUILT_IN_PROTOCOLS) {
      for (const key of p.supersedes ?? []) {
        expect(keys.has(key)).toBe(true);
        expect(key).not.toBe(p.key);
      }
    }
  });
});
