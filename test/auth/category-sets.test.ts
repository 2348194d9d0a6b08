import { describe, expect, it } from 'vitest';
import { CategorySets } from '../../src/auth/patient-grants.js';
import type { DataCategory } from '../../src/auth/data-category.js';

describe('CategorySets', () => {
  it('hands out one set for every grant with the same categories in the same order', () => {
    const sets = new CategorySets();
    const first = sets.intern(new Set<DataCategory>(['IDENTITY', 'CONTACT']));
    const second = sets.intern(new Set<DataCategory>(['IDENTITY', 'CONTACT']));
    expect(second).toBe(first);
    expect([...second]).toEqual(['IDENTITY', 'CONTACT']);
    expect(sets.size).toBe(1);
  });

  it('keeps different combinations, and a different order, apart', () => {
    const sets = new CategorySets();
    const a = sets.intern(new Set<DataCategory>(['IDENTITY', 'CONTACT']));
    const b = sets.intern(new Set<DataCategory>(['IDENTITY']));
    const c = sets.intern(new Set<DataCategory>(['CONTACT', 'IDENTITY']));
    expect(b).not.toBe(a);
    expect(c).not.toBe(a);
    expect([...b]).toEqual(['IDENTITY']);
    expect([...c]).toEqual(['CONTACT', 'IDENTITY']);
    expect(sets.size).toBe(3);
  });

  it('gives the empty combination one set too', () => {
    const sets = new CategorySets();
    expect(sets.intern(new Set())).toBe(sets.intern(new Set()));
    expect(sets.intern(new Set()).size).toBe(0);
  });
});
