import type { DataCategory } from './data-category.js';
import { isGrantActive, type PatientGrant } from './patient-grants.js';

/**
 * Who may see a record that belongs to one patient and reads several categories of her record (an
 * alert or a follow-up task: every category its protocol's condition read, see
 * `src/protocols/condition-reads.ts`): a caller whose grant for the patient is in force and covers
 * every one of them. One rule for every read: requests, lists, live delivery and field checks.
 *
 * @module
 */

/** Whether granted categories cover every one of a record's `categories` (a record that lists none is covered by nothing). */
export function coversAll(granted: ReadonlySet<string>, categories: readonly string[]): boolean {
  return categories.length > 0 && categories.every((c) => granted.has(c));
}

/** Whether a grant lets its holder see a record of these categories now: in force, and covering all of them. */
export function grantCovers(grant: PatientGrant | null | undefined, categories: readonly string[], now: number): boolean {
  return !!grant && isGrantActive(grant, now) && coversAll(grant.categories, categories);
}

/** One clause of {@link visibleRecordsFilter}: records of these patients whose categories are all among `categories`. */
export interface VisibleRecordsClause {
  readonly patientId: { readonly $in: string[] };
  readonly categories: { readonly $contained: DataCategory[] };
}

/**
 * The ORM filter of the records (with `patientId` and a `categories` array column) the holder of
 * `grants` may see now: grants in force, grouped by their category set, each group a clause
 * "patient among these, categories contained in the group's". Null when no grant is in force
 * (nothing is visible).
 */
export function visibleRecordsFilter(grants: Iterable<PatientGrant>, now: number): { $or: VisibleRecordsClause[] } | null {
  const groups = new Map<string, { categories: DataCategory[]; patientIds: string[] }>();
  for (const grant of grants) {
    if (!isGrantActive(grant, now) || grant.categories.size === 0) continue;
    const categories = [...grant.categories].sort();
    const key = categories.join(',');
    const group = groups.get(key) ?? { categories, patientIds: [] };
    group.patientIds.push(grant.patientId);
    groups.set(key, group);
  }
  if (groups.size === 0) return null;
  return { $or: [...groups.values()].map((g) => ({ patientId: { $in: g.patientIds }, categories: { $contained: g.categories } })) };
}
