import { describe, expect, it } from 'vitest';
import { getOperationAST, parse } from 'graphql';
import { codeLabel, OperationNames, rootFieldsOf } from '../../src/observability/request-metrics.js';

const operationOf = (query: string) => getOperationAST(parse(query))!;

describe('operation labels', () => {
  it('labels an operation by the schema fields it selects at its root, never by its name or aliases', () => {
    const names = new OperationNames();
    expect(names.labelOf(operationOf('query Zenobia_Okafor { patient(id: "1") { id } }'))).toBe('patient');
    expect(names.labelOf(operationOf('query { b: patients { totalCount } a: me { id } patients { totalCount } }'))).toBe('me+patients');
    expect(names.labelOf(operationOf('query { ... on Query { me { id } } }'))).toBe('me');
    expect(names.labelOf(operationOf('query { ...F } fragment F on Query { me { id } }'))).toBe('anonymous');
    expect(rootFieldsOf(operationOf('mutation Named { logMood(input: {}) { id } }'))).toBe('logMood');
  });

  it('reports labels that are not root-field names, or longer than 128 characters, as other', () => {
    const names = new OperationNames();
    expect(names.label('Read Patient')).toBe('other');
    expect(names.label('Read"Patient')).toBe('other');
    expect(names.label('1Read')).toBe('other');
    expect(names.label('me+patients')).toBe('me+patients');
    expect(names.label(`A${'b'.repeat(127)}`)).toBe(`A${'b'.repeat(127)}`);
    expect(names.label(`A${'b'.repeat(128)}`)).toBe('other');
  });

  it('reports new names past the cap as other, and names it already reports as themselves', () => {
    const names = new OperationNames(2);
    expect(names.label('First')).toBe('First');
    expect(names.label('Second')).toBe('Second');
    expect(names.label('Third')).toBe('other');
    expect(names.label('First')).toBe('First');
  });
});

describe('outcome code labels', () => {
  it('reports no code as OK, a code as itself, and anything that is not a code as other', () => {
    expect(codeLabel(undefined)).toBe('OK');
    expect(codeLabel('BAD_USER_INPUT')).toBe('BAD_USER_INPUT');
    expect(codeLabel('bad input for Zenobia')).toBe('other');
    expect(codeLabel(42)).toBe('other');
  });
});
