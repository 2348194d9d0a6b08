import { buildSchema, parse, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ValidatedDocumentCache } from '../../src/schema/document-cache.js';
import { operationLimitsRule } from '../../src/schema/operation-limits.js';
import { prepareOperation } from '../../src/schema/operation-validation.js';

const schema = buildSchema('type Query { a: Int, b(n: Int!): Int, q: Query }');
const rules = [operationLimitsRule({ maxDepth: 3, maxAliases: 2, maxCost: 2000, maxDirectives: 50 })];

/** The codes `prepareOperation` refused `request` with, or null with the prepared document. */
function prepare(cache: ValidatedDocumentCache, request: Parameters<typeof prepareOperation>[1]) {
  const prepared = prepareOperation(schema, request, rules, cache);
  if (Array.isArray(prepared)) return { codes: (prepared as GraphQLError[]).map((e) => e.extensions['code']), document: null };
  return { codes: null, document: prepared.document };
}

describe('ValidatedDocumentCache', () => {
  it('gives back the document kept for a query text, and nothing for another text', () => {
    const cache = new ValidatedDocumentCache({ maxEntries: 2, maxQueryLength: 100 });
    const document = parse('{ a }');
    cache.set('{ a }', document);
    expect(cache.get('{ a }')).toBe(document);
    expect(cache.get('{a}')).toBeUndefined();
  });

  it('evicts the least recently used document past maxEntries', () => {
    const cache = new ValidatedDocumentCache({ maxEntries: 2, maxQueryLength: 100 });
    cache.set('one', parse('{ a }'));
    cache.set('two', parse('{ a }'));
    cache.get('one');
    cache.set('three', parse('{ a }'));
    expect(cache.size).toBe(2);
    expect(cache.get('two')).toBeUndefined();
    expect(cache.get('one')).toBeDefined();
    expect(cache.get('three')).toBeDefined();
  });

  it('does not keep a query longer than maxQueryLength', () => {
    const cache = new ValidatedDocumentCache({ maxEntries: 10, maxQueryLength: 8 });
    cache.set('{ a     }', parse('{ a }'));
    cache.set('{ a }', parse('{ a }'));
    expect(cache.get('{ a     }')).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});

describe('prepareOperation with a validated-document cache', () => {
  it('shares one document between requests sending the same query text', () => {
    const cache = new ValidatedDocumentCache();
    const first = prepare(cache, { query: '{ q { a } }' });
    const second = prepare(cache, { query: '{ q { a } }' });
    expect(first.codes).toBeNull();
    expect(second.document).toBe(first.document);
    expect(cache.size).toBe(1);
  });

  it('still refuses an invalid document after a valid one is cached, and never keeps it', () => {
    const cache = new ValidatedDocumentCache();
    expect(prepare(cache, { query: '{ a }' }).codes).toBeNull();
    expect(prepare(cache, { query: '{ nope }' }).codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(prepare(cache, { query: '{ nope }' }).codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(prepare(cache, { query: '{ a' }).codes).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(cache.size).toBe(1);
  });

  it('still applies the depth and alias limits: a document over them is refused every time', () => {
    const cache = new ValidatedDocumentCache();
    const shallow = '{ q { q { a } } }';
    const deep = '{ q { q { q { q { a } } } } }';
    const aliased = '{ x: a y: a z: a }';
    expect(prepare(cache, { query: shallow }).codes).toBeNull();
    for (let i = 0; i < 2; i++) {
      expect(prepare(cache, { query: deep }).codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(prepare(cache, { query: aliased }).codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
    expect(prepare(cache, { query: shallow }).codes).toBeNull();
    expect(cache.size).toBe(1);
  });

  it('checks the operation name and variables of every request against a cached document', () => {
    const cache = new ValidatedDocumentCache();
    const query = 'query A($n: Int!) { b(n: $n) } query B { a }';
    expect(prepare(cache, { query, operationName: 'A', variables: { n: 1 } }).codes).toBeNull();
    expect(prepare(cache, { query, operationName: 'A', variables: { n: 'one' } }).codes).toEqual(['BAD_USER_INPUT']);
    expect(prepare(cache, { query, operationName: 'C' }).codes).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(prepare(cache, { query }).codes).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(cache.size).toBe(1);
  });
});
