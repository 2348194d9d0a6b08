import { describe, expect, it } from 'vitest';
import { ConditionCompiler } from '../../src/protocols/condition-compiler.js';
import { CONDITION_LIMITS } from '../../src/protocols/condition-cost.js';
import { ProtocolEngine } from '../../src/protocols/engine.js';
import { validateDefinition } from '../../src/protocols/definition-check.js';
import { customProtocol, HOUR_MS, inputOf, observation } from './protocol-fixtures.js';

const list = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
const messageOf = (condition: string) => {
  const outcome = new ConditionCompiler().compile(condition);
  return outcome.ok ? null : outcome.problems.map((p) => p.message).join(' | ');
};

describe('the cost limit of conditions', () => {
  it('refuses comprehensions nested three deep (4 deep over 50 elements takes ~2 s to evaluate)', () => {
    const nested = `${list(10)}.all(a, ${list(10)}.all(b, ${list(10)}.all(c, a + b + c >= 0)))`;
    expect(messageOf(nested)).toContain('comprehensions nested 3 deep, at most 2 allowed');
  });

  it('refuses more than 12 history window calls', () => {
    const calls = Array.from({ length: 13 }, () => 'count("VITALS", days(1)) > 0').join(' || ');
    expect(messageOf(calls)).toContain('13 history window calls, at most 12 allowed');
  });

  it('refuses a window call inside a comprehension', () => {
    expect(messageOf('[1, 2].exists(n, count("VITALS", days(n)) > 0)')).toContain('cannot be called inside a comprehension');
  });

  it('refuses more than 200 AST nodes', () => {
    const wide = Array.from({ length: 70 }, (_, i) => `vitals.systolic > ${i}`).join(' || ');
    expect(messageOf(wide)).toMatch(/too costly: (\d+ nodes|Exceeded maxAstNodes)/);
  });

  it('refuses nesting deeper than 24', () => {
    const deep = `${'!('.repeat(30)}true${')'.repeat(30)}`;
    expect(messageOf(deep)).toMatch(/too costly/);
  });

  it('refuses list literals over 50 elements', () => {
    expect(messageOf(`vitals.systolic in ${list(51)}`)).toMatch(/at most 50 elements|too costly/);
  });

  it('refuses expressions over 2000 characters', () => {
    const long = `vitals.systolic > 1 ${' '.repeat(2000)}`;
    const outcome = new ConditionCompiler().compile(long);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems[0]).toMatchObject({ message: expect.stringContaining('2020 characters') });
  });

  it('refuses regular expressions (matches)', () => {
    expect(messageOf('screening.instrument.matches("^(E|P)+$")')).toContain('matches() is not allowed');
  });

  it('reports cost problems under input.condition with a position', () => {
    const problems = validateDefinition(customProtocol(`${list(5)}.all(a, ${list(5)}.all(b, ${list(5)}.all(c, a >= 0)))`));
    expect(problems).toEqual([{ field: 'input.condition', message: expect.stringContaining('too costly'), position: { line: 1, column: 1 } }]);
  });

  it('evaluates the most expensive expression the limits allow within 500 ms against a 3000-record history (about 20 ms unloaded)', () => {
    const windows = Array.from({ length: 12 }, (_, i) => `max("VITALS", "systolic", days(${365 + i})) > 0.0`).join(' && ');
    const condition = `${list(40)}.all(a, ${list(40)}.all(b, a + b >= 0)) && ${windows}`;
    const compiler = new ConditionCompiler();
    const outcome = compiler.compile(condition);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.condition.cost.nodes).toBeLessThanOrEqual(CONDITION_LIMITS.maxNodes);
    expect(outcome.condition.cost.windowCalls).toBe(12);
    const history = Array.from({ length: 3000 }, (_, i) => observation('VITALS', { systolic: 120 + (i % 40) }, { ago: (i + 1) * HOUR_MS }));
    const engine = new ProtocolEngine(compiler);
    const input = inputOf(observation('VITALS', { systolic: 130 }), history);
    engine.evaluate(customProtocol(condition), input);
    const started = performance.now();
    const result = engine.evaluate(customProtocol(condition), input);
    const elapsed = performance.now() - started;
    expect(result.outcome).toBe('MATCHED');
    expect(elapsed).toBeLessThan(500);
  });
});
