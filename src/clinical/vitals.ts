/**
 * Input ranges for vital signs and tracking entries, and the postpartum blood
 * pressure classification.
 *
 * The ranges are physiologically plausible bounds for rejecting typos and unit
 * mix-ups at input; they are not clinical thresholds and a value inside them
 * may still be alarming. Clinical thresholds live with the protocols that use them.
 *
 * @module
 */

/** An inclusive range of plausible values for one measured or counted quantity. */
export interface PlausibleRange {
  /** Lowest accepted value, inclusive. */
  readonly min: number;
  /** Highest accepted value, inclusive. */
  readonly max: number;
  /** The unit the bounds are in (UCUM-style where one exists), or `'1'` for a count or score. */
  readonly unit: string;
  /** Whether only whole numbers are accepted (counts and scale scores). */
  readonly integer: boolean;
}

/** Systolic blood pressure, mmHg. */
export const SYSTOLIC_BP_RANGE_MMHG: PlausibleRange = Object.freeze({ min: 50, max: 260, unit: 'mm[Hg]', integer: false });

/** Diastolic blood pressure, mmHg. */
export const DIASTOLIC_BP_RANGE_MMHG: PlausibleRange = Object.freeze({ min: 20, max: 160, unit: 'mm[Hg]', integer: false });

/** Heart rate, beats per minute. */
export const HEART_RATE_RANGE_BPM: PlausibleRange = Object.freeze({ min: 20, max: 250, unit: '/min', integer: false });

/** Body temperature (mother or infant), degrees Celsius. */
export const TEMPERATURE_RANGE_CELSIUS: PlausibleRange = Object.freeze({ min: 30.0, max: 45.0, unit: 'Cel', integer: false });

/** Infant weight at a later weighing, grams. */
export const INFANT_WEIGHT_RANGE_GRAMS: PlausibleRange = Object.freeze({ min: 300, max: 10000, unit: 'g', integer: false });

/** Infant birth weight, grams. */
export const BIRTH_WEIGHT_RANGE_GRAMS: PlausibleRange = Object.freeze({ min: 300, max: 7000, unit: 'g', integer: false });

/** Sleep in one day, hours. */
export const SLEEP_DURATION_RANGE_HOURS: PlausibleRange = Object.freeze({ min: 0, max: 24, unit: 'h', integer: false });

/** Self-reported mood on a 1 (worst) to 5 (best) scale; unitless whole numbers. */
export const MOOD_SCORE_RANGE: PlausibleRange = Object.freeze({ min: 1, max: 5, unit: '1', integer: true });

/** Duration of one feed, minutes. */
export const FEEDING_DURATION_RANGE_MINUTES: PlausibleRange = Object.freeze({ min: 0, max: 240, unit: 'min', integer: false });

/** Volume of one bottle feed or pumping session, millilitres. */
export const FEEDING_VOLUME_RANGE_ML: PlausibleRange = Object.freeze({ min: 0, max: 500, unit: 'mL', integer: false });

/** Wet or dirty diapers recorded in one entry; a whole-number count. */
export const DIAPER_COUNT_RANGE: PlausibleRange = Object.freeze({ min: 0, max: 30, unit: '1', integer: true });

/**
 * Whether a value is a finite number within a plausible range (and whole, if
 * the range requires it). NaN and infinities are never plausible.
 */
export function isPlausible(value: number, range: PlausibleRange): boolean {
  if (!Number.isFinite(value) || value < range.min || value > range.max) return false;
  return !range.integer || Number.isInteger(value);
}

/**
 * Postpartum blood pressure thresholds in mmHg, inclusive (ACOG Committee
 * Opinions 623, 767). Either reading reaching its threshold is enough.
 */
export const BLOOD_PRESSURE_THRESHOLDS_MMHG = Object.freeze({
  /** Severe hypertension: systolic at or above this. A critical alert. */
  severeSystolic: 160,
  /** Severe hypertension: diastolic at or above this. A critical alert. */
  severeDiastolic: 110,
  /** Hypertension: systolic at or above this. Same-day clinical review. */
  hypertensiveSystolic: 140,
  /** Hypertension: diastolic at or above this. Same-day clinical review. */
  hypertensiveDiastolic: 90,
});

/** Every {@link BloodPressureCategory}, most urgent first. */
export const BLOOD_PRESSURE_CATEGORIES = ['SEVERE', 'HYPERTENSIVE', 'NORMAL', 'UNKNOWN'] as const;

/**
 * The postpartum category of a blood pressure reading: `SEVERE` (>= 160/110),
 * `HYPERTENSIVE` (>= 140/90), `NORMAL` (below both hypertensive thresholds; not
 * the stricter ACC "normal" of < 120/80) or `UNKNOWN` (no usable reading).
 */
export type BloodPressureCategory = (typeof BLOOD_PRESSURE_CATEGORIES)[number];

function isReading(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Classifies a postpartum blood pressure reading. Either value alone suffices
 * (systolic 165 with no diastolic is `SEVERE`), and the higher category of the
 * two wins. A missing or non-finite value is ignored; when neither is usable
 * the result is `UNKNOWN`, never `NORMAL`.
 *
 * @param systolic - systolic pressure in mmHg, if measured.
 * @param diastolic - diastolic pressure in mmHg, if measured.
 */
export function classifyBloodPressure(
  systolic?: number | null,
  diastolic?: number | null,
): BloodPressureCategory {
  const hasSystolic = isReading(systolic);
  const hasDiastolic = isReading(diastolic);
  if (!hasSystolic && !hasDiastolic) return 'UNKNOWN';
  const t = BLOOD_PRESSURE_THRESHOLDS_MMHG;
  if ((hasSystolic && systolic >= t.severeSystolic) || (hasDiastolic && diastolic >= t.severeDiastolic)) {
    return 'SEVERE';
  }
  if ((hasSystolic && systolic >= t.hypertensiveSystolic) || (hasDiastolic && diastolic >= t.hypertensiveDiastolic)) {
    return 'HYPERTENSIVE';
  }
  return 'NORMAL';
}
