import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { ConditionCompiler } from '../../src/protocols/condition-compiler.js';
import { ProtocolEngine } from '../../src/protocols/engine.js';
import { EvaluationBudgetExceededError, EvaluationMeter, meterExpression } from '../../src/protocols/evaluation-budget.js';
import { customProtocol, inputOf, observation } from './protocol-fixtures.js';

const literal = JSON.stringify(','.repeat(630));
const SPLIT_ATTACK = `${literal}.split(",").all(x, ${literal}.split(",").map(a, ${literal}.split(",")).size() > 0)`;

/** Parses and checks `expression` in a bare cel-js environment, metered by `meter`. */
function metered(expression: string, meter: EvaluationMeter): ReturnType<Environment['parse']> {
  const parsed = new Environment({}).parse(expression);
  expect(parsed.check().valid).toBe(true);
  meterExpression(parsed.ast, meter);
  return parsed;
}

describe('the run-time evaluation budget', () => {
  it('stops the split attack as soon as its budget is spent, having charged no more than the budget and one value', () => {
    const meter = new EvaluationMeter();
    const evaluate = metered(SPLIT_ATTACK, meter);
    const previous = meter.start(25_000);
    expect(() => evaluate({})).toThrow(EvaluationBudgetExceededError);
    expect(meter.exceeded).toBe(true);
    expect(meter.used).toBeGreaterThan(25_000);
    expect(meter.used).toBeLessThanOrEqual(25_000 + 2 * 631);
    meter.restore(previous);
  });

  it('lets the same expression over a short list finish within the budget (positive control)', () => {
    const meter = new EvaluationMeter();
    const short = JSON.stringify(',,,');
    const evaluate = metered(`${short}.split(",").all(x, ${short}.split(",").map(a, ${short}.split(",")).size() > 0)`, meter);
    const previous = meter.start(25_000);
    expect(evaluate({})).toBe(true);
    expect(meter.exceeded).toBe(false);
    expect(meter.used).toBeGreaterThan(0);
    meter.restore(previous);
  });

  it('stays spent when cel-js swallows the error (an exists over a list, then an OR)', () => {
    const meter = new EvaluationMeter();
    const evaluate = metered('[1, 2, 3, 4, 5, 6, 7, 8].exists(x, x > 100) || true', meter);
    const previous = meter.start(10);
    expect(() => evaluate({})).toThrow(EvaluationBudgetExceededError);
    expect(meter.exceeded).toBe(true);
    meter.restore(previous);
  });

  it('charges the same units on every evaluation (the first one included)', () => {
    const meter = new EvaluationMeter();
    const evaluate = metered('"a,b,c".split(",").map(s, s + s).size() == 3', meter);
    const runs = [0, 1, 2].map(() => {
      const previous = meter.start(1_000);
      expect(evaluate({})).toBe(true);
      meter.restore(previous);
      return meter.lastUsed;
    });
    expect(runs[0]).toBeGreaterThan(0);
    expect(new Set(runs).size).toBe(1);
  });
});

describe('an evaluation over budget in the engine', () => {
  const vitals = () => inputOf(observation('VITALS', { systolic: 150, diastolic: 95 }));
  const condition = '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(n, n < 20) && vitals.systolic >= 140';

  it('matches within the default budget (positive control)', () => {
    const result = new ProtocolEngine(new ConditionCompiler()).evaluate(customProtocol(condition), vitals());
    expect(result).toMatchObject({ outcome: 'MATCHED', incompleteData: false });
    expect(result.budgetExceeded).toBeUndefined();
  });

  it('is INCOMPLETE with the budget code and an incomplete-data alert, even when the policy is SKIP', () => {
    const engine = new ProtocolEngine(new ConditionCompiler(), 20);
    const result = engine.evaluate(customProtocol(condition, { onIncompleteData: 'SKIP' }), vitals());
    expect(result).toMatchObject({
      outcome: 'INCOMPLETE',
      budgetExceeded: true,
      incompleteData: true,
      missingFacts: [`${condition} (cannot be evaluated: evaluation_budget_exceeded)`],
      actions: [{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE'] }],
    });
    expect(result.trace.at(-1)).toEqual({ expression: condition, value: 'stopped: evaluation_budget_exceeded' });
  });

  it('reports a stored definition over the work limit (saved before the check) as over budget without running it', () => {
    const engine = new ProtocolEngine(new ConditionCompiler());
    const mood = customProtocol(SPLIT_ATTACK, { trigger: { type: 'ON_UPDATE', kinds: ['MOOD'] } });
    const update = observation('MOOD', { score: 3 });
    const started = performance.now();
    const result = engine.evaluate(mood, inputOf(update));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result).toMatchObject({
      outcome: 'INCOMPLETE',
      budgetExceeded: true,
      incompleteData: true,
      missingFacts: [`${SPLIT_ATTACK} (cannot be evaluated: evaluation_budget_exceeded)`],
      evidenceIds: [update.id],
    });
    expect(engine.compiler.environment.meter.lastUsed).toBe(0);
    expect(engine.evaluate(mood, vitals()).outcome).toBe('NOT_APPLICABLE');
  });
});
