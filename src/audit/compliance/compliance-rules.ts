import { BadInputError } from '../../errors.js';

/**
 * The compliance monitor's rules over the audit trail:
 * - `REPEATED_FAILED_LOGINS`: an account refused `failedLogins` times within `failedLoginWindowMinutes`;
 * - `OUTSIDE_USUAL_HOURS`: a user with at least `usualHoursMinHistory` accesses over the last
 *   `usualHoursBaselineDays` days, none of them within an hour of this hour of day (UTC), accesses a record;
 * - `MANY_PATIENTS`: a user touches `manyPatients` distinct patients within `manyPatientsWindowMinutes`;
 * - `BULK_EXPORT`: one operation touches `bulkExportRecords` patients' records;
 * - `BREAK_GLASS`: every break-glass emergency access;
 * - `NEVER_ON_CARE_TEAM`: a clinician accesses a patient whose care team she has never been on;
 * - `ADMIN_CLINICAL_PROVISIONING`: an ADMIN creates a clinical account or gives a care team its
 *   coordinator (separation of duties: the steps by which an ADMIN could reach clinical data).
 */
export const COMPLIANCE_RULES = [
  'REPEATED_FAILED_LOGINS',
  'OUTSIDE_USUAL_HOURS',
  'MANY_PATIENTS',
  'BULK_EXPORT',
  'BREAK_GLASS',
  'NEVER_ON_CARE_TEAM',
  'ADMIN_CLINICAL_PROVISIONING',
] as const;
/** One of {@link COMPLIANCE_RULES}. */
export type ComplianceRule = (typeof COMPLIANCE_RULES)[number];

/** A tenant's thresholds for the rules (counts and durations, units in the names). */
export interface ComplianceThresholds {
  readonly failedLogins: number;
  readonly failedLoginWindowMinutes: number;
  readonly usualHoursMinHistory: number;
  readonly usualHoursBaselineDays: number;
  readonly manyPatients: number;
  readonly manyPatientsWindowMinutes: number;
  readonly bulkExportRecords: number;
}

/** The thresholds of a tenant that has set none. */
export const DEFAULT_THRESHOLDS: ComplianceThresholds = Object.freeze({
  failedLogins: 5,
  failedLoginWindowMinutes: 15,
  usualHoursMinHistory: 20,
  usualHoursBaselineDays: 30,
  manyPatients: 30,
  manyPatientsWindowMinutes: 10,
  bulkExportRecords: 25,
});

/** Accepted range of each threshold (inclusive). */
export const THRESHOLD_RANGES: Readonly<Record<keyof ComplianceThresholds, readonly [number, number]>> = {
  failedLogins: [2, 1000],
  failedLoginWindowMinutes: [1, 1440],
  usualHoursMinHistory: [1, 100_000],
  usualHoursBaselineDays: [1, 365],
  manyPatients: [2, 100_000],
  manyPatientsWindowMinutes: [1, 1440],
  bulkExportRecords: [2, 100_000],
};

/**
 * Merges a partial change over current thresholds, checking each given value is a whole number in
 * range; BAD_USER_INPUT names `input.<threshold>` otherwise.
 */
export function mergeThresholds(current: ComplianceThresholds, change: Partial<Record<keyof ComplianceThresholds, number | null | undefined>>): ComplianceThresholds {
  const next: Record<string, number> = { ...current };
  for (const key of Object.keys(THRESHOLD_RANGES) as Array<keyof ComplianceThresholds>) {
    const value = change[key];
    if (value === undefined || value === null) continue;
    const [min, max] = THRESHOLD_RANGES[key];
    if (!Number.isInteger(value) || value < min || value > max) throw BadInputError.field(`input.${key}`, `input.${key} must be a whole number from ${min} to ${max}.`);
    next[key] = value;
  }
  return next as unknown as ComplianceThresholds;
}

/** Reads stored thresholds (possibly partial or from an older version) over the defaults. */
export function storedThresholds(stored: unknown): ComplianceThresholds {
  const merged: Record<string, number> = { ...DEFAULT_THRESHOLDS };
  if (stored && typeof stored === 'object') {
    for (const key of Object.keys(THRESHOLD_RANGES)) {
      const value = (stored as Record<string, unknown>)[key];
      if (typeof value === 'number' && Number.isInteger(value)) merged[key] = value;
    }
  }
  return merged as unknown as ComplianceThresholds;
}

/** The audit actions that are accesses to a patient's record (the others are named events). */
export const ACCESS_ACTIONS = ['READ', 'CREATE', 'UPDATE', 'DELETE'] as const;

/** Whether two hours of day (0–23) are within one hour of each other, around midnight too. */
export function hoursNear(a: number, b: number): boolean {
  const d = Math.abs(a - b) % 24;
  return Math.min(d, 24 - d) <= 1;
}
