import { describe, expect, it } from 'vitest';
import { BUILT_IN_PROTOCOLS } from '../../src/protocols/built-in/index.js';
import { validateDefinition } from '../../src/protocols/definition-check.js';
import type { ProtocolDefinition } from '../../src/protocols/protocol.js';
import { customProtocol } from './protocol-fixtures.js';

const problemsOf = (overrides: Partial<ProtocolDefinition>) => validateDefinition(customProtocol('vitals.systolic >= 140', overrides));
const fields = (overrides: Partial<ProtocolDefinition>) => problemsOf(overrides).map((p) => p.field);

describe('validateDefinition: CEL expressions', () => {
  it('accepts a valid definition', () => {
    expect(problemsOf({})).toEqual([]);
  });

  it('rejects a malformed condition with its position', () => {
    const [problem, ...rest] = problemsOf({ condition: 'vitals.systolic >= ' });
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ field: 'input.condition', position: { line: 1, column: 20 } });
    expect(problem?.message).toMatch(/^Syntax error/);
  });

  it('rejects an unknown fact with its line and column', () => {
    const [problem] = problemsOf({ condition: 'vitals.systolic >= 140 ||\n  bloodSugar > 7' });
    expect(problem).toMatchObject({ field: 'input.condition', position: { line: 2, column: 3 } });
    expect(problem?.message).toContain('bloodSugar');
    expect(problem?.message).toContain('Known facts');
  });

  it('rejects an unknown field of a known fact', () => {
    const [problem] = problemsOf({ condition: 'vitals.systolic > 100 && vitals.pulse > 100' });
    expect(problem).toMatchObject({ field: 'input.condition', position: { line: 1, column: 26 } });
    expect(problem?.message).toContain("'vitals.pulse' is not a known fact");
  });

  it('rejects an unknown function', () => {
    const [problem] = problemsOf({ condition: 'median("VITALS", "systolic", 3) > 140.0' });
    expect(problem?.message).toMatch(/Unknown function or wrong argument types/);
    expect(problem?.position).toEqual({ line: 1, column: 1 });
  });

  it('rejects wrong argument types (a string compared with a number)', () => {
    const [problem] = problemsOf({ condition: 'vitals.systolic >= "140"' });
    expect(problem).toMatchObject({ field: 'input.condition', position: { line: 1, column: 1 } });
  });

  it('rejects a condition that is not a bool', () => {
    const [problem] = problemsOf({ condition: 'vitals.systolic + 1.0' });
    expect(problem?.message).toBe('The expression must be a bool (true or false), but it is double.');
  });

  it('rejects an empty condition', () => {
    expect(problemsOf({ condition: '   ' })).toEqual([{ field: 'input.condition', message: 'The expression is empty.', position: { line: 1, column: 1 } }]);
  });

  it('reports appliesWhen problems under input.appliesWhen', () => {
    const [problem] = problemsOf({ appliesWhen: 'has(vitals.sys)' });
    expect(problem).toMatchObject({ field: 'input.appliesWhen', position: { line: 1, column: 5 } });
    expect(problem?.message).toContain("'vitals.sys' is not a known fact");
  });

  it('rejects an unknown series or field written as a literal, at the argument', () => {
    const [series] = problemsOf({ condition: 'max("BLOOD", "systolic", 3) > 1.0' });
    expect(series).toMatchObject({ position: { line: 1, column: 5 } });
    expect(series?.message).toContain("Unknown series 'BLOOD'");
    const [field] = problemsOf({ condition: 'max("VITALS", "weightGrams", 3) > 1.0' });
    expect(field).toMatchObject({ position: { line: 1, column: 15 } });
    expect(field?.message).toContain("no numeric field 'weightGrams'");
  });

  it('rejects empty windows written as literals', () => {
    expect(problemsOf({ condition: 'max("VITALS", "systolic", 0) > 1.0' })[0]?.message).toContain('at least 1');
    expect(problemsOf({ condition: 'count("VITALS", days(0)) > 1' })[0]?.message).toContain('at least 1');
  });

  it('uses the given field prefix', () => {
    const problems = validateDefinition(customProtocol('nope'), 'input.definition');
    expect(problems[0]?.field).toBe('input.definition.condition');
  });
});

describe('validateDefinition: escalation, actions, trigger and texts', () => {
  const tier = { targets: [{ type: 'ROLE' as const, role: 'MIDWIFE' as const }], ackTimeoutMinutes: 10 };

  it('rejects an escalation chain without a fallback tier', () => {
    expect(fields({ escalation: { tiers: [tier], fallback: undefined as never, repeat: 0 } })).toEqual(['input.escalation.fallback']);
  });

  it('rejects a tier without targets', () => {
    expect(fields({ escalation: { tiers: [{ targets: [], ackTimeoutMinutes: 10 }], fallback: tier, repeat: 0 } })).toEqual(['input.escalation.tiers[0].targets']);
  });

  it.each([0, -5, 1.5, 1441])('rejects an acknowledgement timeout of %d minutes', (minutes) => {
    expect(fields({ escalation: { tiers: [{ ...tier, ackTimeoutMinutes: minutes }], fallback: tier, repeat: 0 } })).toEqual(['input.escalation.tiers[0].ackTimeoutMinutes']);
    expect(fields({ escalation: { tiers: [], fallback: { ...tier, ackTimeoutMinutes: minutes }, repeat: 0 } })).toEqual(['input.escalation.fallback.ackTimeoutMinutes']);
  });

  it.each([-1, 6, 0.5])('rejects repeat %d (allowed 0..5)', (repeat) => {
    expect(fields({ escalation: { tiers: [tier], fallback: tier, repeat } })).toEqual(['input.escalation.repeat']);
  });

  it('accepts repeat 0 and 5 and a chain of only a fallback', () => {
    expect(fields({ escalation: { tiers: [], fallback: tier, repeat: 5 } })).toEqual([]);
  });

  it('rejects a user target without a user id', () => {
    expect(fields({ escalation: { tiers: [{ targets: [{ type: 'USER', userId: 'bob' }], ackTimeoutMinutes: 5 }], fallback: tier, repeat: 0 } })).toEqual(['input.escalation.tiers[0].targets[0]']);
  });

  it('rejects a CRITICAL protocol without escalation', () => {
    expect(fields({ severity: 'CRITICAL', escalation: null })).toEqual(['input.escalation']);
  });

  it('rejects SKIP for a CRITICAL protocol', () => {
    expect(fields({ severity: 'CRITICAL', onIncompleteData: 'SKIP' })).toEqual(['input.onIncompleteData']);
  });

  it('accepts SKIP for a WARNING protocol', () => {
    expect(fields({ onIncompleteData: 'SKIP' })).toEqual([]);
  });

  it('rejects an alerting protocol without escalation', () => {
    expect(fields({ escalation: null })).toEqual(['input.escalation']);
  });

  it('accepts a task-only INFO protocol without escalation', () => {
    expect(fields({ severity: 'INFO', escalation: null, actions: [{ type: 'CREATE_TASK', title: 'Call', assignTo: 'CARE_COORDINATOR', dueInMinutes: 60 }] })).toEqual([]);
  });

  it('rejects a CRITICAL protocol that raises no alert', () => {
    expect(fields({ severity: 'CRITICAL', actions: [{ type: 'SEND_SAFETY_MESSAGE', template: 'CRISIS_LINE' }] })).toEqual(['input.actions']);
  });

  it.each([0, -10, 2.5])('rejects a task due in %d minutes', (due) => {
    expect(fields({ actions: [{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE'] }, { type: 'CREATE_TASK', title: 'Call', assignTo: 'MIDWIFE', dueInMinutes: due }] })).toEqual(['input.actions[1].dueInMinutes']);
  });

  it('rejects no actions, an alert routed nowhere, and an unknown template', () => {
    expect(fields({ actions: [] })).toContain('input.actions');
    expect(fields({ actions: [{ type: 'RAISE_ALERT', routeTo: [] }] })).toEqual(['input.actions[0].routeTo']);
    expect(fields({ actions: [{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE'] }, { type: 'SEND_SAFETY_MESSAGE', template: 'HELLO' as never }] })).toEqual(['input.actions[1].template']);
  });

  it('rejects an empty or too long name and a too long description', () => {
    expect(fields({ name: '  ' })).toEqual(['input.name']);
    expect(fields({ name: 'x'.repeat(121) })).toEqual(['input.name']);
    expect(fields({ name: 'x'.repeat(120) })).toEqual([]);
    expect(fields({ description: 'x'.repeat(2001) })).toEqual(['input.description']);
  });

  it('rejects an ON_UPDATE trigger without kinds or with unknown kinds', () => {
    expect(fields({ trigger: { type: 'ON_UPDATE', kinds: [] } })).toEqual(['input.trigger.kinds']);
    expect(fields({ trigger: { type: 'ON_UPDATE', kinds: ['WEATHER' as never] } })).toEqual(['input.trigger.kinds']);
  });

  it('rejects a schedule more often than every 15 minutes', () => {
    const scheduled = (everyMinutes: number) =>
      validateDefinition(customProtocol('daysSinceLast("ANY") >= 3.0', { trigger: { type: 'SCHEDULED', everyMinutes } })).map((p) => p.field);
    expect(scheduled(14)).toEqual(['input.trigger.everyMinutes']);
    expect(scheduled(15)).toEqual([]);
  });

  it('rejects facts the trigger can never provide, which would leave every evaluation INCOMPLETE', () => {
    const [onScreening] = validateDefinition(customProtocol('screening.total > 3 &&\n  vitals.systolic > 140', { trigger: { type: 'ON_UPDATE', kinds: ['SCREENING'] } }));
    expect(onScreening).toMatchObject({ field: 'input.condition', position: { line: 2, column: 3 } });
    expect(onScreening?.message).toContain("'vitals' is never present for this trigger (it fires on SCREENING)");
    const scheduled = validateDefinition(customProtocol('update.kind == "MOOD"', { trigger: { type: 'SCHEDULED', everyMinutes: 60 } }));
    expect(scheduled.map((p) => p.field)).toEqual(['input.condition']);
    expect(scheduled[0]?.message).toContain('a scheduled evaluation has no update');
    const infantOnVitals = validateDefinition(customProtocol('infant.ageDays > 3'));
    expect(infantOnVitals.map((p) => p.field)).toEqual(['input.condition']);
  });

  it('accepts facts of any of the trigger kinds, and the same facts read through windows', () => {
    expect(fields({ trigger: { type: 'ON_UPDATE', kinds: ['VITALS', 'SYMPTOMS'] }, condition: '"FEVER" in symptoms || vitals.temperatureC >= 38.0' })).toEqual([]);
    expect(fields({ trigger: { type: 'ON_UPDATE', kinds: ['SYMPTOMS'] }, condition: 'max("VITALS", "systolic", days(1)) >= 140.0' })).toEqual([]);
    expect(fields({ trigger: { type: 'ON_UPDATE', kinds: ['FEEDING'] }, condition: 'infant.ageDays >= 5' })).toEqual([]);
  });
});

describe('the built-in library', () => {
  it.each(BUILT_IN_PROTOCOLS.map((p) => [p.key, p] as const))('%s passes validateDefinition with its defaults', (_key, builtIn) => {
    expect(validateDefinition(builtIn.build({}))).toEqual([]);
  });

  it('has unique keys and a guideline citation on every protocol', () => {
    expect(new Set(BUILT_IN_PROTOCOLS.map((p) => p.key)).size).toBe(BUILT_IN_PROTOCOLS.length);
    for (const p of BUILT_IN_PROTOCOLS) expect(p.build({}).guideline).toBeTruthy();
  });

  it('builds valid definitions at the strictest end of every parameter range', () => {
    for (const builtIn of BUILT_IN_PROTOCOLS) {
      const strictest = Object.fromEntries(
        Object.entries(builtIn.parameters).map(([key, p]) => [key, (p.tighterWhen === 'LOWER' ? p.min : p.max) ?? p.value]),
      );
      expect(validateDefinition(builtIn.build(strictest)), builtIn.key).toEqual([]);
    }
  });
});
