import { getIntrospectionQuery, parse, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OperationLimitsConfig } from '../../src/config.js';
import { cradleValidationRules, directiveLimitRule, operationLimitsRule } from '../../src/schema/operation-limits.js';
import { buildTestSchema } from '../helpers/schema.js';

const DEFAULTS: OperationLimitsConfig = { maxDepth: 10, maxAliases: 15, maxCost: 2000, maxDirectives: 50 };

describe('operation limits', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildTestSchema();
  });

  /** The messages the limit rules report for `query` under `limits` (defaults otherwise). */
  const violations = (query: string, limits: Partial<OperationLimitsConfig> = {}) =>
    validate(schema, parse(query), [operationLimitsRule({ ...DEFAULTS, ...limits }), directiveLimitRule({ ...DEFAULTS, ...limits }.maxDirectives)]).map(
      (e) => e.message,
    );

  /** The smallest cost limit `query` passes: its estimated cost. */
  const costOf = (query: string) => {
    const message = violations(query, { maxCost: 0 })[0] ?? '';
    return Number(/estimated cost of (\d+)/.exec(message)?.[1] ?? 0);
  };

  it('sizes a connection\'s edges by its literal first, and other lists by 10', () => {
    // patients 1 + edges (1 + 5 × (node 1 + careTeam (1 + 10 × role 1)))
    expect(costOf('{ patients(first: 5) { edges { node { careTeam { role } } } } }')).toBe(1 + 1 + 5 * (1 + 1 + 10 * 1));
  });

  it('sizes a page asked for with a variable as the largest page the server returns (100)', () => {
    expect(costOf('query($n: Int!) { patients(first: $n) { edges { node { id } } } }')).toBe(1 + 1 + 100 * 2);
  });

  it('sizes a page without first by the argument\'s default (20)', () => {
    expect(costOf('{ patients { edges { node { id } } } }')).toBe(1 + 1 + 20 * 2);
  });

  it('counts depth and aliases through fragments where they are spread', () => {
    const query = `{ ...Deep a: me { ...Named } b: me { ...Named } }
      fragment Deep on Query { patients { edges { node { careTeam { role } } } } }
      fragment Named on User { x: id y: role }`;
    expect(violations(query, { maxDepth: 4, maxAliases: 5 })).toEqual([
      'The query nests fields 5 levels deep; the limit is 4 (operation limit: depth).',
      'The query uses 6 aliases; the limit is 5 (operation limit: aliases).',
    ]);
    expect(violations(query, { maxDepth: 5, maxAliases: 6 })).toEqual([]);
  });

  it('measures a document whose fragments spread each other exponentially in linear time', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { me { id } }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const started = performance.now();
    const messages = violations(`query Bomb { ...F0 } ${fragments.join(' ')}`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(messages).toEqual([expect.stringMatching(/^Operation "Bomb" has an estimated cost of \d+(\.\d+)?(e\+\d+)?; the limit is 2000/)]);
  });

  it('counts every directive in the document, known or not', () => {
    const many = Array.from({ length: 51 }, () => '@include(if: true)').join(' ');
    expect(violations(`{ me { id ${many} } }`)).toContain('The document uses 51 directives; the limit is 50 (operation limit: directives).');
  });

  it('lets the standard introspection query through the default limits, and refuses it when introspection is off', () => {
    const document = parse(getIntrospectionQuery());
    expect(validate(schema, document, cradleValidationRules({ limits: DEFAULTS, introspection: true }))).toEqual([]);
    expect(validate(schema, document, cradleValidationRules({ limits: DEFAULTS, introspection: false }))[0]?.message).toMatch(/introspection has been disabled/);
  });
});
