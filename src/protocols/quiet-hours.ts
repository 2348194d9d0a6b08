import type { DefinitionProblem, Severity } from './protocol.js';

/**
 * A tenant's quiet hours: a daily window, in the tenant's time zone, during which pages of
 * non-critical alerts wait until the window ends (CLINICAL.md: critical alerts ignore quiet hours).
 * The window may cross midnight (`22:00`–`07:00`); `start` is inside it, `end` is not.
 */
export interface QuietHours {
  /** Local wall-clock time the window opens, `HH:MM` (24-hour). */
  readonly start: string;
  /** Local wall-clock time the window closes, `HH:MM` (24-hour); differs from `start`. */
  readonly end: string;
  /** IANA time-zone name, e.g. `Europe/London`. */
  readonly timeZone: string;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;
/** The largest change of a zone's UTC offset at one transition that the end search allows for (real ones are at most 2 h). */
const MAX_OFFSET_CHANGE_MINUTES = 180;

/** Minutes after local midnight of an `HH:MM` time (already validated). */
function minutesOf(time: string): number {
  const [, hours, minutes] = HH_MM.exec(time)!;
  return Number(hours) * 60 + Number(minutes);
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The problems with a proposed quiet-hours window (empty when it is fine), for `BAD_USER_INPUT` on `field`. */
export function checkQuietHours(quiet: QuietHours, field = 'input'): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (!HH_MM.test(quiet.start)) problems.push({ field: `${field}.start`, message: 'start must be a 24-hour time HH:MM, e.g. 22:00.' });
  if (!HH_MM.test(quiet.end)) problems.push({ field: `${field}.end`, message: 'end must be a 24-hour time HH:MM, e.g. 07:00.' });
  if (problems.length === 0 && quiet.start === quiet.end) problems.push({ field: `${field}.end`, message: 'end must differ from start.' });
  if (!isKnownTimeZone(quiet.timeZone)) problems.push({ field: `${field}.timeZone`, message: 'timeZone must be an IANA time-zone name, e.g. Europe/London.' });
  return problems;
}

/** Local minutes after midnight of instant `at` in `timeZone` (seconds dropped). */
function localMinutes(at: number, format: Intl.DateTimeFormat): number {
  const parts = format.formatToParts(new Date(at));
  const hour = Number(parts.find((p) => p.type === 'hour')!.value) % 24;
  const minute = Number(parts.find((p) => p.type === 'minute')!.value);
  return hour * 60 + minute;
}

/** Whether local minute `m` lies in the window [start, end), which may cross midnight. */
function inWindow(m: number, start: number, end: number): boolean {
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * When the quiet window that contains instant `at` ends (milliseconds since the epoch, a whole
 * minute), or null when `at` is outside quiet hours (or there are none). The end is the first
 * minute after `at` whose local time is outside the window. It is found from the wall-clock
 * distance to `end`; when the zone's offset changes inside the window (daylight saving), that
 * guess is off by the change, and the minutes around it are searched instead, so a local `end`
 * skipped by a spring-forward ends the window at the first minute that exists after it.
 */
export function quietHoursEnd(quiet: QuietHours | null, at: number): number | null {
  if (!quiet || checkQuietHours(quiet).length > 0) return null;
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: quiet.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const quietAt = (instant: number) => inWindow(localMinutes(instant, format), start, end);
  if (!quietAt(at)) return null;
  const minuteStart = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  const guess = minuteStart + ((end - localMinutes(at, format) + DAY_MINUTES) % DAY_MINUTES) * MINUTE_MS;
  const isEnd = (instant: number) => instant > at && !quietAt(instant) && quietAt(instant - MINUTE_MS);
  if (isEnd(guess)) return guess;
  for (let offset = 1; offset <= MAX_OFFSET_CHANGE_MINUTES; offset++) {
    if (isEnd(guess - offset * MINUTE_MS)) return guess - offset * MINUTE_MS;
    if (isEnd(guess + offset * MINUTE_MS)) return guess + offset * MINUTE_MS;
  }
  return guess;
}

/**
 * When a page of an alert of `severity` due at `at` may go out: `at` itself for a CRITICAL alert
 * (never held) or outside quiet hours, otherwise the end of the quiet window.
 */
export function pageTime(quiet: QuietHours | null, severity: Severity, at: number): number {
  if (severity === 'CRITICAL') return at;
  return quietHoursEnd(quiet, at) ?? at;
}
