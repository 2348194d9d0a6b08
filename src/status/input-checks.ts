import type { PlausibleRange } from '../clinical/vitals.js';
import { isPlausible } from '../clinical/vitals.js';
import { isUuid } from '../auth/patient-access.js';
import { BadInputError, NotFoundError } from '../errors.js';

/** Longest free-text note accepted, in characters. */
export const MAX_NOTE_LENGTH = 2000;
/** How far in the future a timestamp may be, to allow for clock skew between devices, in milliseconds. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** How far back an observation may be logged, in milliseconds (two years). */
export const MAX_BACKDATE_MS = 2 * 365 * 24 * 60 * 60 * 1000;

/** Checks an optional measured value against its plausible range; messages name the field and range, never the value. */
export function checkRange(value: number | null | undefined, range: PlausibleRange, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!isPlausible(value, range)) {
    const kind = range.integer ? 'a whole number' : 'a number';
    throw BadInputError.field(field, `${field} must be ${kind} from ${range.min} to ${range.max} (${range.unit}).`);
  }
  return value;
}

/** Checks an optional note's length and trims it; empty notes become undefined. */
export function checkNote(note: string | null | undefined, field: string): string | undefined {
  if (note === null || note === undefined) return undefined;
  const trimmed = note.trim();
  if (trimmed.length > MAX_NOTE_LENGTH) throw BadInputError.field(field, `${field} must be at most ${MAX_NOTE_LENGTH} characters.`);
  return trimmed.length > 0 ? trimmed : undefined;
}

/** Resolves when an observation happened: now when omitted; never in the future, never more than two years back. */
export function checkRecordedAt(recordedAt: Date | null | undefined, now: number, field: string): Date {
  if (recordedAt === null || recordedAt === undefined) return new Date(now);
  const t = recordedAt.getTime();
  if (Number.isNaN(t)) throw BadInputError.field(field, `${field} is not a valid date-time.`);
  if (t > now + CLOCK_SKEW_MS) throw BadInputError.field(field, `${field} cannot be in the future.`);
  if (t < now - MAX_BACKDATE_MS) throw BadInputError.field(field, `${field} cannot be more than two years ago.`);
  return recordedAt;
}

/** Checks an ISO calendar date (YYYY-MM-DD) that must be a real day, not in the future. */
export function checkPastDate(value: string, now: number, field: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(`${value}T00:00:00Z`) : null;
  if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw BadInputError.field(field, `${field} must be a date written YYYY-MM-DD.`);
  }
  if (date.getTime() > now + 24 * 60 * 60 * 1000) throw BadInputError.field(field, `${field} cannot be in the future.`);
  if (date.getUTCFullYear() < 1900) throw BadInputError.field(field, `${field} is too far in the past.`);
  return value;
}

/** Rejects ids that are not UUIDs as not found (they cannot exist), naming the field. */
export function checkId(id: string, field: string, notFound: (field: string) => NotFoundError): string {
  if (!isUuid(id)) throw notFound(field);
  return id.toLowerCase();
}

/** Checks a required, trimmed, bounded text field. */
export function checkText(value: string, field: string, maxLength: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw BadInputError.field(field, `${field} must not be empty.`);
  if (trimmed.length > maxLength) throw BadInputError.field(field, `${field} must be at most ${maxLength} characters.`);
  return trimmed;
}
