import { describe, expect, it } from 'vitest';
import { ConditionCompiler } from '../../src/protocols/condition-compiler.js';
import { evaluateProtocol, InvalidDefinitionError, ProtocolEngine } from '../../src/protocols/engine.js';
import { customProtocol, DAY_MS, HOUR_MS, inputOf, observation } from './protocol-fixtures.js';

const vitals = (data: Record<string, unknown>, ago = 0, id?: string) => observation('VITALS', data, { ago, id });

describe('evaluateProtocol: trigger applicability', () => {
  it('does not apply an ON_UPDATE protocol to updates of other kinds', () => {
    const result = evaluateProtocol(customProtocol('true'), inputOf(observation('MOOD', { score: 1 })));
    expect(result).toMatchObject({ outcome: 'NOT_APPLICABLE', actions: [], trace: [] });
  });

  it('does not apply an ON_UPDATE protocol to a scheduled evaluation', () => {
    expect(evaluateProtocol(customProtocol('true'), inputOf(null)).outcome).toBe('NOT_APPLICABLE');
  });

  it('applies a SCHEDULED protocol only without an update', () => {
    const scheduled = customProtocol('true', { trigger: { type: 'SCHEDULED', everyMinutes: 60 } });
    expect(evaluateProtocol(scheduled, inputOf(null)).outcome).toBe('MATCHED');
    expect(evaluateProtocol(scheduled, inputOf(vitals({ systolic: 120 }))).outcome).toBe('NOT_APPLICABLE');
  });

  it('is NOT_APPLICABLE when appliesWhen is false or cannot be decided', () => {
    const guarded = customProtocol('vitals.systolic >= 140', { appliesWhen: 'vitals.heartRate > 100' });
    expect(evaluateProtocol(guarded, inputOf(vitals({ systolic: 150, heartRate: 80 }))).outcome).toBe('NOT_APPLICABLE');
    const undecided = evaluateProtocol(guarded, inputOf(vitals({ systolic: 150 })));
    expect(undecided.outcome).toBe('NOT_APPLICABLE');
    expect(undecided.trace).toEqual([{ expression: 'appliesWhen: vitals.heartRate > 100', value: 'missing: vitals.heartRate' }]);
  });
});

describe('evaluateProtocol: missing facts are never silently false', () => {
  it('decides "a || b" when a is true and b is missing, whichever side is missing', () => {
    expect(evaluateProtocol(customProtocol('vitals.systolic >= 160 || vitals.diastolic >= 110'), inputOf(vitals({ systolic: 170 }))).outcome).toBe('MATCHED');
    expect(evaluateProtocol(customProtocol('vitals.diastolic >= 110 || vitals.systolic >= 160'), inputOf(vitals({ systolic: 170 }))).outcome).toBe('MATCHED');
  });

  it('decides "a && b" as NOT_MATCHED when a is false and b is missing', () => {
    const result = evaluateProtocol(customProtocol('vitals.diastolic >= 90 && vitals.systolic >= 140'), inputOf(vitals({ systolic: 120 })));
    expect(result).toMatchObject({ outcome: 'NOT_MATCHED', missingFacts: [] });
  });

  it('names every missing fact that keeps the condition undecided, and only those', () => {
    const condition = 'vitals.heartRate > 120 && (vitals.systolic >= 160 || vitals.diastolic >= 110) || vitals.temperatureC >= 38.0 && mood.score < 2';
    const result = evaluateProtocol(customProtocol(condition), inputOf(vitals({ systolic: 150, temperatureC: 36.5 })));
    expect(result.outcome).toBe('INCOMPLETE');
    expect(result.missingFacts).toEqual(['vitals.heartRate', 'vitals.diastolic']);
  });

  it('names an absent variable (symptoms of a vitals update)', () => {
    const result = evaluateProtocol(customProtocol('"FEVER" in symptoms'), inputOf(vitals({ systolic: 120 })));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['symptoms'] });
  });

  it('names a window without records', () => {
    const result = evaluateProtocol(customProtocol('avg("MOOD", "score", days(7)) < 2.5'), inputOf(vitals({ systolic: 120 })));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['avg("MOOD", "score", days(7))'] });
  });

  it('treats a malformed stored value (text where a number belongs) as missing', () => {
    const result = evaluateProtocol(customProtocol('vitals.systolic >= 160'), inputOf(vitals({ systolic: '170' })));
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', missingFacts: ['vitals.systolic'] });
  });

  it('turns an integer division by zero into INCOMPLETE naming the cause', () => {
    const result = evaluateProtocol(customProtocol('10 / (mood.score - mood.score) > 1', { trigger: { type: 'ON_UPDATE', kinds: ['MOOD'] } }), inputOf(observation('MOOD', { score: 3 })));
    expect(result.outcome).toBe('INCOMPLETE');
    expect(result.missingFacts[0]).toContain('cannot be evaluated: division_by_zero');
  });
});

describe('evaluateProtocol: incomplete-data policies', () => {
  const missingDiastolic = inputOf(vitals({ systolic: 120 }));
  const condition = 'vitals.systolic >= 160 || vitals.diastolic >= 110';

  it('RAISE_INCOMPLETE_DATA_ALERT raises one alert routed like the protocol\'s, flagged incompleteData', () => {
    const definition = customProtocol(condition, {
      actions: [{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE', 'PRIMARY_CARE_PROVIDER'] }, { type: 'SEND_SAFETY_MESSAGE', template: 'URGENT_CARE_ADVICE' }],
    });
    const result = evaluateProtocol(definition, missingDiastolic);
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', incompleteData: true, severity: 'WARNING' });
    expect(result.actions).toEqual([{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE', 'PRIMARY_CARE_PROVIDER'] }]);
  });

  it('routes the incomplete-data alert of a task-only protocol to the task\'s role', () => {
    const definition = customProtocol(condition, { actions: [{ type: 'CREATE_TASK', title: 'Check', assignTo: 'LACTATION_CONSULTANT', dueInMinutes: 60 }], escalation: null });
    expect(evaluateProtocol(definition, missingDiastolic).actions).toEqual([{ type: 'RAISE_ALERT', routeTo: ['LACTATION_CONSULTANT'] }]);
  });

  it('EVALUATE_AS_MATCH fires the protocol\'s own actions', () => {
    const definition = customProtocol(condition, { onIncompleteData: 'EVALUATE_AS_MATCH' });
    const result = evaluateProtocol(definition, missingDiastolic);
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', incompleteData: false, actions: definition.actions });
  });

  it('SKIP fires nothing but still reports the missing fact', () => {
    const result = evaluateProtocol(customProtocol(condition, { onIncompleteData: 'SKIP' }), missingDiastolic);
    expect(result).toMatchObject({ outcome: 'INCOMPLETE', actions: [], incompleteData: false, missingFacts: ['vitals.diastolic'] });
  });
});

describe('evaluateProtocol: windows over the history', () => {
  const history = [
    vitals({ systolic: 130 }, 2 * HOUR_MS, 'h2'),
    vitals({ systolic: 150 }, 10 * HOUR_MS, 'h10'),
    vitals({ diastolic: 80 }, 20 * HOUR_MS, 'h20'),
    vitals({ systolic: 110 }, 30 * HOUR_MS, 'h30'),
    observation('MOOD', { score: 2 }, { ago: 5 * HOUR_MS, id: 'mood' }),
  ];
  const value = (expression: string) => evaluateProtocol(customProtocol(`${expression} == ${expression}`), inputOf(vitals({ systolic: 140 }, 0, 'now'), history));

  it.each([
    ['max("VITALS", "systolic", hours(24)) == 150.0'],
    ['min("VITALS", "systolic", hours(24)) == 130.0'],
    ['avg("VITALS", "systolic", hours(24)) == 140.0'],
    ['sum("VITALS", "systolic", hours(24)) == 420.0'],
    ['min("VITALS", "systolic", days(2)) == 110.0'],
    ['max("VITALS", "systolic", 2) == 140.0'],
    ['min("VITALS", "systolic", 3) == 130.0'],
    ['latest("VITALS", "systolic") == 140.0'],
    ['previous("VITALS", "systolic") == 130.0'],
    ['delta("VITALS", "systolic", hours(24)) == -10.0'],
    ['delta("VITALS", "systolic", 2) == 10.0'],
    ['daysSinceLast("MOOD") > 0.2083 && daysSinceLast("MOOD") < 0.2084'],
    ['count("VITALS", hours(24)) == 4'],
    ['count("ANY", hours(6)) == 3'],
    ['count("SYMPTOMS", hours(24)) == 0'],
  ])('%s', (condition) => {
    const input = inputOf(vitals({ systolic: 140 }, 0, 'now'), history);
    expect(evaluateProtocol(customProtocol(condition), input).outcome).toBe('MATCHED');
    expect(evaluateProtocol(customProtocol(`!(${condition})`), input).outcome).toBe('NOT_MATCHED');
  });

  it('cites exactly the records a window used as evidence, the update first', () => {
    const result = value('max("VITALS", "systolic", hours(12))');
    expect(result.evidenceIds).toEqual(['now', 'h10', 'h2']);
  });

  it('does not cite records that short-circuiting never read', () => {
    const result = evaluateProtocol(customProtocol('vitals.systolic > 100 || max("VITALS", "systolic", days(2)) > 100.0'), inputOf(vitals({ systolic: 140 }, 0, 'now'), history));
    expect(result.evidenceIds).toEqual(['now']);
  });

  it('ignores history recorded after the evaluation time', () => {
    const future = [...history, vitals({ systolic: 200 }, -HOUR_MS, 'future')];
    const result = evaluateProtocol(customProtocol('max("VITALS", "systolic", days(1)) >= 200.0'), inputOf(vitals({ systolic: 140 }), future));
    expect(result.outcome).toBe('NOT_MATCHED');
  });

  it('reads integer facts as CEL ints (mood score, diaper counts)', () => {
    const definition = customProtocol('mood.score <= 2 && patient.daysPostpartum >= 14', { trigger: { type: 'ON_UPDATE', kinds: ['MOOD'] } });
    expect(evaluateProtocol(definition, inputOf(observation('MOOD', { score: 2 }))).outcome).toBe('MATCHED');
  });

  it('derives the infant\'s latest weight and loss from birth weight, citing the weighing', () => {
    const weighing = observation('INFANT_VITALS', { weightGrams: 2640 }, { ago: DAY_MS, id: 'weighing' });
    const definition = customProtocol('infant.weightLossPercent > 10.0 && infant.latestWeightGrams < 2700.0', { trigger: { type: 'ON_UPDATE', kinds: ['INFANT_VITALS'] } });
    const result = evaluateProtocol(definition, inputOf(observation('INFANT_VITALS', { temperatureC: 37 }, { id: 'temp' }), [weighing]));
    expect(result.outcome).toBe('MATCHED');
    expect(result.evidenceIds).toEqual(['temp', 'weighing']);
  });
});

describe('evaluateProtocol: definitions', () => {
  it('throws InvalidDefinitionError for a condition validateDefinition refuses', () => {
    expect(() => evaluateProtocol(customProtocol('vitals.nope > 1'), inputOf(vitals({ systolic: 1 })))).toThrow(InvalidDefinitionError);
  });

  it('compiles each expression once and keeps the cache bounded', () => {
    const engine = new ProtocolEngine(new ConditionCompiler(3));
    for (let i = 0; i < 10; i++) engine.evaluate(customProtocol(`vitals.systolic > ${i}`), inputOf(vitals({ systolic: 5 })));
    expect(engine.compiler.cachedExpressions).toBe(3);
    const first = engine.compiler.compile('vitals.systolic > 9');
    expect(engine.compiler.compile('vitals.systolic > 9')).toBe(first);
  });
});

describe('evaluateProtocol: malformed data never throws', () => {
  it('treats an update without a payload and history records without payloads as missing facts', () => {
    const update = { ...vitals({}), data: null as never };
    const history = [{ ...vitals({}, HOUR_MS), data: undefined as never }];
    const result = evaluateProtocol(customProtocol('max("VITALS", "systolic", days(1)) > 100.0 || vitals.systolic > 100'), inputOf(update, history));
    expect(result.outcome).toBe('INCOMPLETE');
    expect(result.missingFacts).toEqual(['max("VITALS", "systolic", days(1))', 'vitals.systolic']);
  });

  it('treats an undefined appliesWhen like null', () => {
    const definition = { ...customProtocol('vitals.systolic > 100'), appliesWhen: undefined as never };
    expect(evaluateProtocol(definition, inputOf(vitals({ systolic: 120 }))).outcome).toBe('MATCHED');
  });

  it('throws InvalidDefinitionError, not a TypeError, for a condition that is not text', () => {
    expect(() => evaluateProtocol({ ...customProtocol('true'), condition: 42 as never }, inputOf(vitals({ systolic: 1 })))).toThrow(InvalidDefinitionError);
  });
});

describe('evaluateProtocol: invalid triggers', () => {
  it('throws InvalidDefinitionError for a trigger without a type', () => {
    expect(() => evaluateProtocol({ ...customProtocol('true'), trigger: { kinds: ['VITALS'] } as never }, inputOf(vitals({ systolic: 1 })))).toThrow(InvalidDefinitionError);
  });
});
