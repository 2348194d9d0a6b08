import { describe, expect, it } from 'vitest';
import { ConditionCompiler } from '../../src/protocols/condition-compiler.js';
import { ProtocolEngine } from '../../src/protocols/engine.js';
import type { EvaluationInput } from '../../src/protocols/protocol.js';
import { customProtocol, DAY_MS, inputOf, observation } from './protocol-fixtures.js';

/**
 * Property: every random condition the save-time check accepts evaluates within its static work
 * bound (the engine runs it with exactly that budget, so one unit over would report
 * `budgetExceeded`), hence within the limit, on every input. Conditions come from a seeded
 * generator over the grammar Cradle allows: comprehensions, split, concatenation, cel.bind,
 * string functions, facts and literals of every size up to the length limit.
 */

type CelType = 'bool' | 'int' | 'string' | 'list<int>' | 'list<string>';

/** mulberry32: a small seeded generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class ConditionGenerator {
  private variables = 0;

  constructor(private readonly next: () => number) {}

  private int(max: number): number {
    return Math.floor(this.next() * max);
  }

  private pick<T>(options: readonly T[]): T {
    return options[this.int(options.length)]!;
  }

  private stringLiteral(): string {
    const length = this.pick([0, 1, 3, 10, 40, 150, 400]);
    const alphabet = this.pick(['ab', 'a,', ',', 'EPDS,x']);
    return JSON.stringify(Array.from({ length }, () => alphabet[this.int(alphabet.length)]).join(''));
  }

  private listLiteral(element: () => string): string {
    return `[${Array.from({ length: this.pick([0, 1, 5, 20, 50]) }, element).join(', ')}]`;
  }

  private fresh(): string {
    return `v${this.variables++}`;
  }

  /** A leaf of `type`: a literal, a fact or a variable in scope. */
  private leaf(type: CelType, scope: ReadonlyMap<string, CelType>): string {
    const inScope = [...scope].filter(([, t]) => t === type).map(([name]) => name);
    if (inScope.length > 0 && this.next() < 0.5) return this.pick(inScope);
    switch (type) {
      case 'bool':
        return this.pick(['true', 'false', 'has(vitals.systolic)', 'has(screening.total)']);
      case 'int':
        return this.pick([String(this.int(20)), 'mood.score', 'screening.total', 'size(symptoms)']);
      case 'string':
        return this.next() < 0.7 ? this.stringLiteral() : this.pick(['screening.instrument', 'screening.band', 'feeding.method', 'update.kind']);
      case 'list<int>':
        return this.next() < 0.7 ? this.listLiteral(() => String(this.int(100))) : 'screening.items';
      case 'list<string>':
        return this.next() < 0.5 ? `${this.stringLiteral()}.split(",")` : this.next() < 0.5 ? 'symptoms' : this.listLiteral(() => this.stringLiteral());
    }
  }

  /** A comprehension of `type` over a random list, its body built with the element in scope. */
  private comprehension(type: 'bool' | 'list<int>' | 'list<string>', depth: number, scope: ReadonlyMap<string, CelType>): string {
    const elementType = this.pick(['int', 'string'] as const);
    const range = this.expression(elementType === 'int' ? 'list<int>' : 'list<string>', depth - 1, scope);
    const name = this.fresh();
    const inner = new Map(scope).set(name, elementType);
    if (type === 'bool') return `${range}.${this.pick(['all', 'exists', 'exists_one'])}(${name}, ${this.expression('bool', depth - 1, inner)})`;
    if (type === `list<${elementType}>` && this.next() < 0.5) return `${range}.filter(${name}, ${this.expression('bool', depth - 1, inner)})`;
    return `${range}.map(${name}, ${this.expression(type === 'list<int>' ? 'int' : 'string', depth - 1, inner)})`;
  }

  /** An expression of `type` at most `depth` deep. */
  expression(type: CelType, depth: number, scope: ReadonlyMap<string, CelType> = new Map()): string {
    if (depth <= 0 || this.next() < 0.2) return this.leaf(type, scope);
    const sub = (t: CelType, s: ReadonlyMap<string, CelType> = scope) => this.expression(t, depth - 1, s);
    if (this.next() < 0.08) {
      const name = this.fresh();
      const bound = this.pick(['string', 'list<int>', 'list<string>'] as const);
      return `cel.bind(${name}, ${sub(bound)}, ${sub(type, new Map(scope).set(name, bound))})`;
    }
    switch (type) {
      case 'bool':
        switch (this.int(9)) {
          case 0: return `(${sub('bool')} && ${sub('bool')})`;
          case 1: return `(${sub('bool')} || ${sub('bool')})`;
          case 2: return `!(${sub('bool')})`;
          case 3: return `${sub('int')} < ${sub('int')}`;
          case 4: return `${sub('string')} == ${sub('string')}`;
          case 5: return `${sub('string')}.${this.pick(['contains', 'startsWith', 'endsWith'])}(${sub('string')})`;
          case 6: return this.next() < 0.5 ? `${sub('int')} in ${sub('list<int>')}` : `${sub('string')} in ${sub('list<string>')}`;
          case 7: return `size(${sub(this.pick(['list<int>', 'list<string>', 'string'] as const))}) > ${sub('int')}`;
          default: return this.comprehension('bool', depth, scope);
        }
      case 'int':
        return this.pick([() => `(${sub('int')} + ${sub('int')})`, () => `size(${sub(this.pick(['list<string>', 'string'] as const))})`])();
      case 'string':
        switch (this.int(4)) {
          case 0: return `(${sub('string')} + ${sub('string')})`;
          case 1: return `${sub('string')}.${this.pick(['lowerAscii', 'upperAscii', 'trim'])}()`;
          case 2: return `${sub('list<string>')}.join(${this.pick(['', '","'])})`;
          default: return `(${sub('bool')} ? ${sub('string')} : ${sub('string')})`;
        }
      case 'list<int>':
        return this.next() < 0.4 ? `(${sub('list<int>')} + ${sub('list<int>')})` : this.comprehension('list<int>', depth, scope);
      case 'list<string>':
        switch (this.int(3)) {
          case 0: return `${sub('string')}.split(",")`;
          case 1: return `(${sub('list<string>')} + ${sub('list<string>')})`;
          default: return this.comprehension('list<string>', depth, scope);
        }
    }
  }
}

const ALL_KINDS = ['MOOD', 'SLEEP', 'VITALS', 'SYMPTOMS', 'SCREENING', 'FEEDING', 'INFANT_VITALS'] as const;

/** Inputs that give the facts values (or leave them missing): symptoms, a screening, a mood. */
function inputs(): EvaluationInput[] {
  const history = Array.from({ length: 50 }, (_, i) => observation('MOOD', { score: 1 + (i % 5) }, { ago: (i + 1) * DAY_MS }));
  return [
    inputOf(observation('SYMPTOMS', { symptoms: ['FEVER', 'THOUGHTS_OF_HARM', 'VISION_CHANGES'] }), history),
    inputOf(observation('SCREENING', { instrument: 'EPDS', total: 14, maxTotal: 30, band: 'PROBABLE', items: [1, 2, 3, 1, 0, 2, 1, 3, 1, 0] }), history),
    inputOf(observation('MOOD', { score: 2 }), history),
  ];
}

describe('the work bound of accepted conditions (property)', () => {
  it('evaluates every accepted random condition within its static bound, and the generator reaches the limit', () => {
    const compiler = new ConditionCompiler(100);
    const cases = inputs();
    let accepted = 0;
    let overWorkLimit = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const condition = new ConditionGenerator(random(seed)).expression('bool', 4);
      const outcome = compiler.compile(condition);
      if (!outcome.ok) {
        if (outcome.overBudget) overWorkLimit++;
        continue;
      }
      accepted++;
      const bound = outcome.condition.cost.workUnits;
      const engine = new ProtocolEngine(compiler, bound);
      const definition = customProtocol(condition, { trigger: { type: 'ON_UPDATE', kinds: [...ALL_KINDS] } });
      for (const input of cases) {
        const result = engine.evaluate(definition, input);
        if (result.budgetExceeded) expect.fail(`seed ${seed}: over its bound of ${bound} units: ${condition}`);
        expect(compiler.environment.meter.lastUsed).toBeLessThanOrEqual(bound);
      }
    }
    expect(accepted).toBeGreaterThan(200);
    expect(overWorkLimit).toBeGreaterThan(20);
  });
});
