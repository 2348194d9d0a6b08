/**
 * Small-cell suppression for anonymised research output: a group of fewer than `k` people is never
 * shown (its count and value are withheld), and when exactly one group of a table would be withheld,
 * the next smallest is withheld too, so the hidden one cannot be recovered by subtraction from the
 * population total. Pure; no I/O.
 */

/** One aggregate group before suppression. */
export interface GroupStatistic<V> {
  readonly group: string;
  readonly people: number;
  readonly value: V;
}

/** One aggregate group as released: `people` and `value` are null when withheld. */
export interface ReleasedGroup<V> {
  readonly group: string;
  readonly people: number | null;
  readonly value: V | null;
  readonly suppressed: boolean;
}

/**
 * Releases groups under a minimum group size `k` (at least 2). Groups keep their order. Empty
 * groups (0 people) are dropped: their absence is not information about anyone.
 */
export function suppressSmallCells<V>(groups: readonly GroupStatistic<V>[], k: number): ReleasedGroup<V>[] {
  if (!Number.isInteger(k) || k < 2) throw new Error('The minimum group size k must be an integer of at least 2.');
  const present = groups.filter((g) => g.people > 0);
  const hidden = new Set(present.filter((g) => g.people < k).map((g) => g.group));
  if (hidden.size === 1) {
    // Secondary suppression: with one cell hidden, the total minus the others would reveal it.
    const next = present.filter((g) => !hidden.has(g.group)).sort((a, b) => a.people - b.people)[0];
    if (next) hidden.add(next.group);
  }
  return present.map((g) =>
    hidden.has(g.group) ? { group: g.group, people: null, value: null, suppressed: true } : { group: g.group, people: g.people, value: g.value, suppressed: false },
  );
}

/** A maternal age band of five years (`25-29`), from ISO dates; ages under 15 or over 49 are top-coded. */
export function ageBand(birthDate: string, at: string): string {
  const birth = new Date(`${birthDate}T00:00:00Z`);
  const then = new Date(`${at}T00:00:00Z`);
  let age = then.getUTCFullYear() - birth.getUTCFullYear();
  if (then.getUTCMonth() < birth.getUTCMonth() || (then.getUTCMonth() === birth.getUTCMonth() && then.getUTCDate() < birth.getUTCDate())) age -= 1;
  if (age < 20) return '<20';
  if (age >= 45) return '45+';
  const low = Math.floor(age / 5) * 5;
  return `${low}-${low + 4}`;
}

/** Bands of weeks after delivery used to group outcomes (aligned with the postnatal visit schedule). */
export const POSTPARTUM_BANDS = [
  { label: '0-2 weeks', fromDays: 0, toDays: 20 },
  { label: '3-6 weeks', fromDays: 21, toDays: 48 },
  { label: '7-12 weeks', fromDays: 49, toDays: 90 },
  { label: '13+ weeks', fromDays: 91, toDays: Number.POSITIVE_INFINITY },
] as const;

/** The postpartum band of an observation `daysAfterDelivery` days after delivery, or null before delivery. */
export function postpartumBand(daysAfterDelivery: number): string | null {
  if (daysAfterDelivery < 0) return null;
  return POSTPARTUM_BANDS.find((b) => daysAfterDelivery >= b.fromDays && daysAfterDelivery <= b.toDays)!.label;
}
