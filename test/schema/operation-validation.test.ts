import { buildSchema, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { prepareOperation } from '../../src/schema/operation-validation.js';

const schema = buildSchema('type Query { a: Int, b(n: Int!): Int }');

/** The codes and messages of what `prepareOperation` refused, or null when it prepared the operation. */
function refusal(request: Parameters<typeof prepareOperation>[1]): Array<{ code: unknown; message: string }> | null {
  const prepared = prepareOperation(schema, request, []);
  if (!Array.isArray(prepared)) return null;
  return (prepared as GraphQLError[]).map((e) => ({ code: e.extensions['code'], message: e.message }));
}

describe('prepareOperation', () => {
  it('prepares the named one of several operations, and a lone anonymous one', () => {
    expect(refusal({ query: 'query A { a } query B { a }', operationName: 'B' })).toBeNull();
    expect(refusal({ query: '{ a }' })).toBeNull();
    expect(refusal({ query: 'query($n: Int!) { b(n: $n) }', variables: { n: 3 } })).toBeNull();
  });

  it('refuses several operations without an operationName with OPERATION_RESOLUTION_FAILURE, in graphql-js words', () => {
    expect(refusal({ query: 'query A { a } query B { a }' })).toEqual([
      { code: 'OPERATION_RESOLUTION_FAILURE', message: 'Must provide operation name if query contains multiple operations.' },
    ]);
  });

  it('refuses an operationName the document does not contain with OPERATION_RESOLUTION_FAILURE', () => {
    expect(refusal({ query: 'query A { a }', operationName: 'C' })).toEqual([{ code: 'OPERATION_RESOLUTION_FAILURE', message: 'Unknown operation named "C".' }]);
  });

  it('refuses variables that do not coerce, or are missing, with BAD_USER_INPUT before execution', () => {
    expect(refusal({ query: 'query($n: Int!) { b(n: $n) }', variables: { n: 'three' } })?.map((e) => e.code)).toEqual(['BAD_USER_INPUT']);
    expect(refusal({ query: 'query($n: Int!) { b(n: $n) }', variables: {} })).toEqual([
      { code: 'BAD_USER_INPUT', message: 'Variable "$n" of required type "Int!" was not provided.' },
    ]);
  });
});
