import type { StatusKind } from '../db/entities/index.js';
import type { ObservationFact } from './protocol.js';

/**
 * The patient's observations as the window functions of the condition language see them, and the
 * "series" a window reads. Pure; the clock is the evaluation's `now`.
 *
 * @module
 */

/** Milliseconds in one day; windows and ages count days of exactly 24 hours. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** The screening instruments a series may name (`SCREENING:EPDS`). */
export const SERIES_INSTRUMENTS = ['EPDS', 'PHQ9', 'GAD7'] as const;

/** The kinds recorded per infant: their windows only read records of the infant of the update. */
export const INFANT_KINDS: ReadonlySet<StatusKind> = new Set<StatusKind>(['FEEDING', 'INFANT_VITALS']);

/**
 * The numeric fields a window function may read, per kind (the payload keys stored by
 * `src/status/status-update.service.ts`). `SYMPTOMS` has none: count its records instead.
 */
export const SERIES_NUMERIC_FIELDS: Readonly<Record<StatusKind, readonly string[]>> = Object.freeze({
  MOOD: ['score'],
  SLEEP: ['hours'],
  VITALS: ['systolic', 'diastolic', 'heartRate', 'temperatureC'],
  SYMPTOMS: [],
  SCREENING: ['total'],
  FEEDING: ['durationMinutes', 'volumeMl', 'wetDiapers', 'dirtyDiapers'],
  INFANT_VITALS: ['weightGrams', 'temperatureC'],
});

const KINDS = Object.keys(SERIES_NUMERIC_FIELDS) as StatusKind[];

/**
 * Which records a window reads: every kind (`ANY`), one kind (`VITALS`), or the screenings of one
 * instrument (`SCREENING:EPDS`), so that trends never compare totals of different instruments.
 */
export interface Series {
  readonly kind: StatusKind | null;
  readonly instrument: string | null;
}

/** Parses a series name, or returns null when it names no series (see {@link Series}). */
export function parseSeries(name: string): Series | null {
  if (name === 'ANY') return { kind: null, instrument: null };
  if ((KINDS as readonly string[]).includes(name)) return { kind: name as StatusKind, instrument: null };
  const match = /^SCREENING:([A-Z0-9]+)$/.exec(name);
  if (match && (SERIES_INSTRUMENTS as readonly string[]).includes(match[1] ?? '')) {
    return { kind: 'SCREENING', instrument: match[1] ?? null };
  }
  return null;
}

/** Every series name a literal may use, for messages and documentation. */
export const SERIES_NAMES: readonly string[] = ['ANY', ...KINDS, ...SERIES_INSTRUMENTS.map((i) => `SCREENING:${i}`)];

/** The numeric fields of a series (none for `ANY` and `SYMPTOMS`). */
export function numericFieldsOf(series: Series): readonly string[] {
  return series.kind === null ? [] : SERIES_NUMERIC_FIELDS[series.kind];
}

/** One value read from a record. */
export interface SeriesValue {
  readonly id: string;
  readonly recordedAt: number;
  readonly value: number;
}

/**
 * The records one evaluation may look at: the triggering update (always) and the history recorded
 * at or before `now` (later records are ignored, so a dry run at a past time sees what was known
 * then), oldest first. For infant kinds, only the records of `infantId` count when it is set.
 */
export class PatientTimeline {
  private readonly records: readonly ObservationFact[];

  constructor(
    readonly now: number,
    update: ObservationFact | null,
    history: readonly ObservationFact[],
    private readonly infantId: string | null,
  ) {
    const known = (Array.isArray(history) ? history : []).filter((r) => r.recordedAt <= now && r.id !== update?.id);
    if (update) known.push(update);
    const order = (a: ObservationFact, b: ObservationFact): number => a.recordedAt - b.recordedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    // History usually arrives in time order: check in one pass before paying for a sort.
    let sorted = true;
    for (let i = 1; i < known.length && sorted; i++) sorted = order(known[i - 1]!, known[i]!) <= 0;
    this.records = sorted ? known : known.sort(order);
  }

  /** The records of a series, oldest first; `sinceMs` keeps those recorded at or after it. */
  recordsOf(series: Series, sinceMs = Number.NEGATIVE_INFINITY): ObservationFact[] {
    return this.records.filter(
      (r) =>
        r.recordedAt >= sinceMs &&
        (series.kind === null || r.kind === series.kind) &&
        (series.instrument === null || r.data?.['instrument'] === series.instrument) &&
        (this.infantId === null || !INFANT_KINDS.has(r.kind) || r.infantId === this.infantId),
    );
  }

  /** The finite numeric values of `field` in a series, oldest first. */
  valuesOf(series: Series, field: string, sinceMs = Number.NEGATIVE_INFINITY): SeriesValue[] {
    const values: SeriesValue[] = [];
    for (const r of this.recordsOf(series, sinceMs)) {
      const value = r.data?.[field];
      if (typeof value === 'number' && Number.isFinite(value)) values.push({ id: r.id, recordedAt: r.recordedAt, value });
    }
    return values;
  }
}

/**
 * Whole days from a calendar date (YYYY-MM-DD, taken at 00:00 UTC) to `now`: 0 on the day itself,
 * 1 from the next midnight. Null when the date is not a real date.
 */
export function daysSinceDate(isoDate: string, now: number): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  const day = Number(match[3]);
  const start = Date.UTC(year, month, day);
  const date = new Date(start);
  // Date.UTC rolls 2026-02-30 over to March: a real date reads back the same parts.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) return null;
  return Math.floor((now - start) / DAY_MS);
}
