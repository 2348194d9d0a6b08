import { describe, expect, it } from 'vitest';
import { checkQuietHours, pageTime, quietHoursEnd, type QuietHours } from '../../src/protocols/quiet-hours.js';

const NIGHT: QuietHours = { start: '22:00', end: '07:00', timeZone: 'Europe/London' };
const at = (iso: string) => Date.parse(iso);

describe('quietHoursEnd', () => {
  it.each([
    ['2026-12-03T21:59:59Z', null],
    ['2026-12-03T22:00:00Z', '2026-12-04T07:00:00.000Z'],
    ['2026-12-04T03:17:42Z', '2026-12-04T07:00:00.000Z'],
    ['2026-12-04T06:59:59Z', '2026-12-04T07:00:00.000Z'],
    ['2026-12-04T07:00:00Z', null],
    ['2026-12-04T12:00:00Z', null],
  ])('for a window crossing midnight (London winter, UTC+0), at %s ends at %s', (when, end) => {
    const result = quietHoursEnd(NIGHT, at(when));
    expect(result === null ? null : new Date(result).toISOString()).toBe(end);
  });

  it('follows the zone: 22:00–07:00 in New York is 03:00–12:00 UTC in winter', () => {
    const newYork = { ...NIGHT, timeZone: 'America/New_York' };
    expect(quietHoursEnd(newYork, at('2026-12-04T02:59:00Z'))).toBeNull();
    expect(new Date(quietHoursEnd(newYork, at('2026-12-04T03:00:00Z'))!).toISOString()).toBe('2026-12-04T12:00:00.000Z');
  });

  it('handles a daytime window that does not cross midnight', () => {
    const lunch = { start: '12:00', end: '13:30', timeZone: 'UTC' };
    expect(quietHoursEnd(lunch, at('2026-12-04T11:59:00Z'))).toBeNull();
    expect(new Date(quietHoursEnd(lunch, at('2026-12-04T12:45:00Z'))!).toISOString()).toBe('2026-12-04T13:30:00.000Z');
    expect(quietHoursEnd(lunch, at('2026-12-04T13:30:00Z'))).toBeNull();
  });

  it('ends at 07:00 local across the spring-forward night (London goes to UTC+1 at 01:00 UTC on 29 March 2026)', () => {
    expect(new Date(quietHoursEnd(NIGHT, at('2026-03-28T23:00:00Z'))!).toISOString()).toBe('2026-03-29T06:00:00.000Z');
  });

  it('ends at 07:00 local across the fall-back night (London returns to UTC+0 at 01:00 UTC on 25 October 2026)', () => {
    expect(new Date(quietHoursEnd(NIGHT, at('2026-10-24T22:00:00Z'))!).toISOString()).toBe('2026-10-25T07:00:00.000Z');
  });

  it('ends at the first minute that exists when the local end time is skipped by a spring-forward', () => {
    // New York skips 02:00–02:59 local on 8 March 2026 (07:00 UTC): a window ending at 02:30 ends at 03:00 local.
    const skipped = { start: '01:00', end: '02:30', timeZone: 'America/New_York' };
    expect(new Date(quietHoursEnd(skipped, at('2026-03-08T06:30:00Z'))!).toISOString()).toBe('2026-03-08T07:00:00.000Z');
  });

  it('is null without quiet hours', () => {
    expect(quietHoursEnd(null, at('2026-12-04T03:00:00Z'))).toBeNull();
  });
});

describe('pageTime', () => {
  const night = at('2026-12-04T03:00:00Z');
  it('never holds a CRITICAL page', () => {
    expect(pageTime(NIGHT, 'CRITICAL', night)).toBe(night);
  });

  it('holds WARNING and INFO pages until the quiet hours end, and sends them at once outside', () => {
    expect(new Date(pageTime(NIGHT, 'WARNING', night)).toISOString()).toBe('2026-12-04T07:00:00.000Z');
    expect(new Date(pageTime(NIGHT, 'INFO', night)).toISOString()).toBe('2026-12-04T07:00:00.000Z');
    const day = at('2026-12-04T10:00:00Z');
    expect(pageTime(NIGHT, 'WARNING', day)).toBe(day);
  });
});

describe('checkQuietHours', () => {
  it('accepts a well-formed window', () => {
    expect(checkQuietHours(NIGHT)).toEqual([]);
  });

  it.each([
    [{ ...NIGHT, start: '7:00' }, 'input.start'],
    [{ ...NIGHT, start: '24:00' }, 'input.start'],
    [{ ...NIGHT, end: '07:60' }, 'input.end'],
    [{ ...NIGHT, end: '22:00' }, 'input.end'],
    [{ ...NIGHT, timeZone: 'Mars/Olympus_Mons' }, 'input.timeZone'],
  ])('refuses %o on %s', (quiet, field) => {
    expect(checkQuietHours(quiet).map((p) => p.field)).toEqual([field]);
  });
});
