import { describe, expect, it } from 'vitest';
import { codeLabel, OperationNames } from '../../src/observability/request-metrics.js';

describe('operation name labels', () => {
  it('reports a validated GraphQL name as itself, and an anonymous operation as anonymous', () => {
    const names = new OperationNames();
    expect(names.label('ReadPatient')).toBe('ReadPatient');
    expect(names.label(null)).toBe('anonymous');
    expect(names.label(undefined)).toBe('anonymous');
  });

  it('reports names that are not GraphQL names, or longer than 64 characters, as other', () => {
    const names = new OperationNames();
    expect(names.label('Read Patient')).toBe('other');
    expect(names.label('Read"Patient')).toBe('other');
    expect(names.label('1Read')).toBe('other');
    expect(names.label(`A${'b'.repeat(63)}`)).toBe(`A${'b'.repeat(63)}`);
    expect(names.label(`A${'b'.repeat(64)}`)).toBe('other');
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
