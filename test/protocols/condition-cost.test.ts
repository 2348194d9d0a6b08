import { describe, expect, it } from 'vitest';
import { ConditionCompiler } from '../../src/protocols/condition-compiler.js';
import { CONDITION_LIMITS } from '../../src/protocols/condition-cost.js';
import { worstCaseCost } from '../../src/protocols/condition-size.js';
import { ProtocolEngine } from '../../src/protocols/engine.js';
import { validateDefinition } from '../../src/protocols/definition-check.js';
import { customProtocol, HOUR_MS, inputOf, observation } from './protocol-fixtures.js';

const list = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
/** `true || true || …` with `n` leaves as a balanced tree (2n − 1 nodes, shallow). */
const balanced = (n: number): string => (n === 1 ? 'true' : `(${balanced(Math.floor(n / 2))} || ${balanced(n - Math.floor(n / 2))})`);
const compile = (condition: string) => new ConditionCompiler().compile(condition);
/** Every problem message of a refused condition, or null when it compiles. */
const messagesOf = (condition: string): string[] | null => {
  const outcome = compile(condition);
  return outcome.ok ? null : outcome.problems.map((p) => p.message);
};
const accepted = (condition: string): boolean => compile(condition).ok;
const units = (condition: string): number => worstCaseCost(new ConditionCompiler().environment.env.parse(condition).ast);
/** The largest `n` from 0 to `max` for which `cost(n)` is at most `limit` (cost grows with n). */
const largest = (cost: (n: number) => number, limit: number, max: number): number => {
  let n = 0;
  while (n < max && cost(n + 1) <= limit) n++;
  return n;
};

/** The 1,958-character condition of the security review: a 631-element list built at run time by split. */
const SPLIT_ATTACK = (() => {
  const literal = JSON.stringify(','.repeat(630));
  return `${literal}.split(",").all(x, ${literal}.split(",").map(a, ${literal}.split(",")).size() > 0)`;
})();

/** One comprehension of each kind, as a bool, around `inner` (a bool). */
const COMPREHENSIONS: ReadonlyArray<readonly [string, (inner: string, v: string) => string]> = [
  ['all', (inner, v) => `${list(3)}.all(${v}, ${inner})`],
  ['exists', (inner, v) => `${list(3)}.exists(${v}, ${inner})`],
  ['exists_one', (inner, v) => `${list(3)}.exists_one(${v}, ${inner})`],
  ['map', (inner, v) => `${list(3)}.map(${v}, ${inner}).size() > 0`],
  ['filter', (inner, v) => `${list(3)}.filter(${v}, ${inner}).size() > 0`],
];

describe('the cost limit of conditions', () => {
  it('refuses the split attack of the security review with the work limit, and it is 1,958 characters of nesting 2', () => {
    expect(SPLIT_ATTACK).toHaveLength(1958);
    const messages = messagesOf(SPLIT_ATTACK);
    expect(messages).toHaveLength(1);
    expect(messages![0]).toMatch(/^The expression is too costly: up to \d+ work units in the worst case, at most 25000 allowed\.$/);
    expect(worstCaseCost(new ConditionCompiler().environment.env.parse(SPLIT_ATTACK).ast)).toBeGreaterThan(1e9);
  });

  it('accepts the same shape over a short split (positive control for the work limit)', () => {
    const literal = JSON.stringify(','.repeat(5));
    expect(accepted(`${literal}.split(",").all(x, ${literal}.split(",").map(a, ${literal}.split(",")).size() > 0)`)).toBe(true);
  });

  it('accepts a condition of exactly 25,000 work units and refuses one of 25,001', () => {
    const coarse = (rows: number) => `${list(rows)}.all(a, ${list(50)}.all(b, a + b >= 0 && "yyyyyyyyyy".contains("y")))`;
    const fine = (commas: number) => `"${','.repeat(commas)}".split(",").all(c, c != "")`;
    const withPadding = (rows: number, commas: number, n: number) => `${coarse(rows)} && ${fine(commas)} && "${'x'.repeat(n)}" + "" == ""`;
    const limit = CONDITION_LIMITS.maxCost;
    const rows = largest((m) => units(withPadding(m, 0, 0)), limit - 2000, 50);
    const commas = largest((k) => units(withPadding(rows, k, 0)), limit - 20, 400);
    expect(units(withPadding(rows, commas, 1)) - units(withPadding(rows, commas, 0))).toBe(1);
    const padding = limit - units(withPadding(rows, commas, 0));
    const atLimit = compile(withPadding(rows, commas, padding));
    expect(atLimit.ok && atLimit.condition.cost.workUnits).toBe(25_000);
    expect(messagesOf(withPadding(rows, commas, padding + 1))).toEqual(['The expression is too costly: up to 25001 work units in the worst case, at most 25000 allowed.']);
  });

  it('counts a list built by split like a literal one: a comprehension over it nested in another multiplies', () => {
    const nested = (commas: number) => `cel.bind(s, "${','.repeat(commas)}".split(","), s.all(a, s.all(b, a == b)))`;
    expect(messagesOf(nested(300))).toEqual([expect.stringMatching(/^The expression is too costly: up to \d+ work units in the worst case, at most 25000 allowed\.$/)]);
    expect(messagesOf(nested(20))).toBeNull();
  });

  it('refuses string doubling through cel.bind (a value grows without new nodes), and accepts one doubling', () => {
    const names = ['b', 'c', 'd', 'e', 'f', 'g'];
    const body = names.reduceRight((inner, name, i) => `cel.bind(${name}, ${i === 0 ? 'a' : names[i - 1]} + ${i === 0 ? 'a' : names[i - 1]}, ${inner})`, 'g + g != ""');
    const doubled = `cel.bind(a, "${'x'.repeat(1000)}", ${body})`;
    expect(messagesOf(doubled)).toEqual([expect.stringMatching(/^The expression is too costly: up to \d+ work units in the worst case, at most 25000 allowed\.$/)]);
    expect(messagesOf(`cel.bind(a, "${'x'.repeat(100)}", a + a != "")`)).toBeNull();
  });

  it('refuses a function whose output the model cannot bound (bytes.json)', () => {
    expect(messagesOf('size(bytes("{}").json()) > 0')).toEqual([
      'The expression is too costly: its worst-case work cannot be bounded, at most 25000 work units allowed.',
    ]);
  });

  describe.each(COMPREHENSIONS)('comprehension nesting of %s', (_name, wrap) => {
    it('accepts two levels', () => {
      expect(messagesOf(wrap(wrap('a + b >= 0', 'b'), 'a'))).toBeNull();
    });

    it('refuses three levels with the nesting limit', () => {
      expect(messagesOf(wrap(wrap(wrap('a + b + c >= 0', 'c'), 'b'), 'a'))).toEqual(['The expression is too costly: comprehensions nested 3 deep, at most 2 allowed.']);
    });
  });

  it('accepts 12 history window calls and refuses 13 with the window-call limit', () => {
    const calls = (n: number) => Array.from({ length: n }, () => 'count("VITALS", days(1)) > 0').join(' || ');
    expect(messagesOf(calls(12))).toBeNull();
    expect(messagesOf(calls(13))).toEqual([
      'The expression is too costly: 13 history window calls, at most 12 allowed.',
    ]);
  });

  it('refuses a window call inside a comprehension, and accepts it outside (positive control)', () => {
    expect(messagesOf('[1, 2].exists(n, count("VITALS", days(n)) > 0)')).toEqual([
      'count() cannot be called inside a comprehension (all, exists, map, filter): it would scan the history once per element.',
    ]);
    expect(messagesOf('[1, 2].exists(n, n > 1) && count("VITALS", days(2)) > 0')).toBeNull();
  });

  it('accepts 200 AST nodes and refuses 201 with the node limit', () => {
    const atLimit = compile(`!${balanced(100)}`);
    expect(atLimit.ok && atLimit.condition.cost.nodes).toBe(200);
    expect(messagesOf(balanced(101))).toEqual(['The expression is too costly: 201 nodes, at most 200 allowed.']);
  });

  it('accepts nesting 24 deep and refuses 25 with the depth limit', () => {
    const atLimit = compile(`${'!'.repeat(23)}true`);
    expect(atLimit.ok && atLimit.condition.cost.depth).toBe(24);
    expect(messagesOf(`${'!'.repeat(24)}true`)).toEqual(['The expression is too costly: nested 25 deep, at most 24 allowed.']);
  });

  it('accepts a list literal of 50 elements and refuses 51 with the list limit', () => {
    expect(messagesOf(`mood.score in ${list(50)}`)).toBeNull();
    expect(messagesOf(`mood.score in ${list(51)}`)).toEqual(['A list literal may hold at most 50 elements.']);
  });

  it('accepts a map literal of 50 entries and refuses 51 with the same limit', () => {
    const map = (n: number) => `{${Array.from({ length: n }, (_, i) => `${i}: 1`).join(', ')}}.size() > 0`;
    expect(messagesOf(map(50))).toBeNull();
    expect(messagesOf(map(51))).toEqual(['A map literal may hold at most 50 entries.']);
  });

  it('accepts 2000 characters and refuses 2001 with the length limit', () => {
    const padded = (n: number) => `vitals.systolic > 1${' '.repeat(n - 'vitals.systolic > 1'.length)}`;
    expect(messagesOf(padded(2000))).toBeNull();
    expect(messagesOf(padded(2001))).toEqual(['The expression is too costly: 2001 characters, at most 2000 allowed.']);
  });

  it('refuses regular expressions (matches), and accepts the same fact compared plainly', () => {
    expect(messagesOf('screening.instrument.matches("^(E|P)+$")')).toEqual([
      'matches() is not allowed: regular expressions are not allowed in conditions (their cost cannot be bounded).',
    ]);
    expect(messagesOf('screening.instrument == "EPDS"')).toBeNull();
  });

  it('reports cost problems under input.condition with a position', () => {
    const problems = validateDefinition(customProtocol(`${list(5)}.all(a, ${list(5)}.all(b, ${list(5)}.all(c, a >= 0)))`));
    expect(problems).toEqual([{ field: 'input.condition', message: 'The expression is too costly: comprehensions nested 3 deep, at most 2 allowed.', position: { line: 1, column: 1 } }]);
  });

  it('evaluates a condition at the work limit plus 12 window scans of a 3000-record history within 500 ms', () => {
    const windows = Array.from({ length: 12 }, (_, i) => `max("VITALS", "systolic", days(${365 + i})) > 0.0`).join(' && ');
    const nearLimit = (commas: number) => `cel.bind(s, "${','.repeat(commas)}".split(","), s.all(a, s.all(b, a + b != "x"))) && ${windows}`;
    const condition = nearLimit(largest((k) => units(nearLimit(k)), CONDITION_LIMITS.maxCost, 200));
    const compiler = new ConditionCompiler();
    const outcome = compiler.compile(condition);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.condition.cost.workUnits).toBeGreaterThan(CONDITION_LIMITS.maxCost * 0.9);
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
