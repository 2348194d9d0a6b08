import type { StatusKind } from '../../graphql/graphql.js';

/**
 * Published cut-offs the dashboard draws (from CLINICAL.md). Screening cut-offs come from the
 * server's instrument definition instead; these are the ones the API does not publish.
 */
export const CLINICAL_LINES = {
  /** Severe hypertension: systolic ≥ 160 or diastolic ≥ 110 mmHg (ACOG Committee Opinions 623, 767). */
  severeSystolic: 160,
  severeDiastolic: 110,
  /** Hypertension: systolic ≥ 140 or diastolic ≥ 90 mmHg, same-day review. */
  hypertensiveSystolic: 140,
  hypertensiveDiastolic: 90,
  /** From day 5: at least 6 wet and 2 dirty diapers per 24 hours (AAP; UK Breastfeeding Network). */
  wetDiapersPerDay: 6,
  dirtyDiapersPerDay: 2,
} as const;

/** The source of each line in {@link CLINICAL_LINES}, as the legends cite it. */
export const CLINICAL_SOURCES = {
  bloodPressure: 'ACOG Committee Opinions 623 and 767',
  diapers: 'AAP; UK Breastfeeding Network',
} as const;

/** What the dashboard shows of one status update: its kind and a one-line reading of its data. */
export interface StatusLike {
  readonly id: string;
  readonly kind: StatusKind;
  readonly recordedAt: string;
  readonly data: Record<string, unknown>;
}

/** The kinds in the order the dashboard lists them. */
export const SUMMARY_KINDS: readonly StatusKind[] = ['MOOD', 'FEEDING', 'SLEEP', 'VITALS', 'SCREENING', 'SYMPTOMS', 'INFANT_VITALS'];

const KIND_LABELS: Readonly<Record<StatusKind, string>> = {
  MOOD: 'Mood',
  FEEDING: 'Feeding',
  SLEEP: 'Sleep',
  VITALS: 'Vitals',
  INFANT_VITALS: 'Infant vitals',
  SYMPTOMS: 'Warning signs',
  SCREENING: 'Screening',
};

/** A kind as people say it ("Infant vitals"). */
export function kindLabel(kind: StatusKind): string {
  return KIND_LABELS[kind];
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const words = (value: string): string => {
  const lower = value.toLowerCase().split('_').join(' ');
  return lower.charAt(0).toUpperCase() + lower.slice(1);
};

/** EPDS bands as the reading says them (cut-offs 10 and 13, CLINICAL.md). */
const EPDS_BANDS: Readonly<Record<string, string>> = { NONE: 'below the cut-offs', POSSIBLE: 'possible depression', PROBABLE: 'probable depression' };

/** A one-line, human reading of an update's data ("Mood 2 of 5", "BP 150/95 mmHg, hypertensive"). */
export function summarise(update: Pick<StatusLike, 'kind' | 'data'>): string {
  const d = update.data;
  switch (update.kind) {
    case 'MOOD': {
      const note = text(d['note']);
      return `Mood ${num(d['score']) ?? '?'} of 5${note ? `: “${note}”` : ''}`;
    }
    case 'SLEEP':
      return `Slept ${num(d['hours']) ?? '?'} h`;
    case 'FEEDING': {
      const parts = [text(d['method']) ? words(String(d['method'])) : 'Feed'];
      const minutes = num(d['durationMinutes']);
      const ml = num(d['volumeMl']);
      if (minutes !== null) parts.push(`${minutes} min`);
      if (ml !== null) parts.push(`${ml} ml`);
      const wet = num(d['wetDiapers']);
      const dirty = num(d['dirtyDiapers']);
      if (wet !== null) parts.push(`${wet} wet`);
      if (dirty !== null) parts.push(`${dirty} dirty`);
      return parts.join(', ');
    }
    case 'VITALS': {
      const parts: string[] = [];
      const sys = num(d['systolic']);
      const dia = num(d['diastolic']);
      if (sys !== null || dia !== null) parts.push(`BP ${sys ?? '–'}/${dia ?? '–'} mmHg`);
      const category = text(d['bloodPressureCategory']);
      if (category && category !== 'UNKNOWN') parts.push(words(category));
      const hr = num(d['heartRate']);
      if (hr !== null) parts.push(`HR ${hr}/min`);
      const temp = num(d['temperatureC']);
      if (temp !== null) parts.push(`${temp} °C`);
      return parts.join(', ') || 'Vitals';
    }
    case 'INFANT_VITALS': {
      const parts: string[] = [];
      const grams = num(d['weightGrams']);
      const temp = num(d['temperatureC']);
      if (grams !== null) parts.push(`${grams} g`);
      if (temp !== null) parts.push(`${temp} °C`);
      return `Infant ${parts.join(', ')}`;
    }
    case 'SYMPTOMS': {
      const list = Array.isArray(d['symptoms']) ? (d['symptoms'] as unknown[]).map((s) => words(String(s))) : [];
      return list.length ? list.join(', ') : 'Warning signs';
    }
    case 'SCREENING': {
      const instrument = text(d['instrument']) ?? 'Screening';
      const band = text(d['band']);
      const parts = [`${instrument === 'PHQ9' ? 'PHQ-9' : instrument === 'GAD7' ? 'GAD-7' : instrument} ${num(d['total']) ?? '?'} of ${num(d['maxTotal']) ?? '?'}`];
      if (band) parts.push(instrument === 'EPDS' ? (EPDS_BANDS[band] ?? words(band)) : words(band));
      if (d['selfHarmItemPositive'] === true) parts.push('self-harm item positive');
      return parts.join(', ');
    }
  }
}

/** Whether an update's reading calls for attention (drawn in the warning or critical colour). */
export function concernOf(update: Pick<StatusLike, 'kind' | 'data'>): 'critical' | 'warning' | null {
  const d = update.data;
  if (update.kind === 'SCREENING' && d['selfHarmItemPositive'] === true) return 'critical';
  if (update.kind === 'VITALS' && d['bloodPressureCategory'] === 'SEVERE') return 'critical';
  if (update.kind === 'VITALS' && d['bloodPressureCategory'] === 'HYPERTENSIVE') return 'warning';
  if (update.kind === 'SCREENING' && (d['band'] === 'PROBABLE' || d['band'] === 'POSSIBLE')) return 'warning';
  return null;
}

/** "3 min ago", "2 h ago", or the date for anything older than a day; `now` in epoch ms. */
export function ago(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** A time for lists: date and time in the reader's locale. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
