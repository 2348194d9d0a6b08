import { describe, expect, it } from 'vitest';
import { isNewer, mergeAlerts, panelOrder, SeenCursors, supersedes, withNewest, type AlertLike } from '../../app/src/views/dashboard/dashboard-state.js';

interface Update {
  id: string;
  kind: 'MOOD' | 'FEEDING' | 'VITALS';
  recordedAt: string;
}
const update = (id: string, kind: Update['kind'], recordedAt: string): Update => ({ id, kind, recordedAt });

const alert = (id: string, severity: AlertLike['severity'], openedAt: string, rest: Partial<AlertLike> = {}): AlertLike => ({ id, severity, status: 'OPEN', openedAt, ...rest });
const ids = (alerts: Iterable<AlertLike>) => [...alerts].map((a) => a.id);

describe("the dashboard's summary: the newest update of each kind", () => {
  it('keeps the newest of each kind, whatever order the updates arrive in', () => {
    const older = update('m1', 'MOOD', '2026-12-01T08:00:00.000Z');
    const newer = update('m2', 'MOOD', '2026-12-01T09:00:00.000Z');
    const feed = update('f1', 'FEEDING', '2026-12-01T07:00:00.000Z');
    expect(withNewest({}, [older, feed, newer])).toEqual({ MOOD: newer, FEEDING: feed });
    expect(withNewest({}, [newer, feed, older])).toEqual({ MOOD: newer, FEEDING: feed });
  });

  it('lets a late-arriving older update (a list loaded after a live event) not replace the newer one', () => {
    const live = update('v2', 'VITALS', '2026-12-01T10:00:00.000Z');
    const loaded = update('v1', 'VITALS', '2026-12-01T06:00:00.000Z');
    expect(withNewest({ VITALS: live }, [loaded])).toEqual({ VITALS: live });
    // Positive control: a newer one does replace it.
    const later = update('v3', 'VITALS', '2026-12-01T11:00:00.000Z');
    expect(withNewest({ VITALS: live }, [later])).toEqual({ VITALS: later });
  });

  it('compares instants, not strings, and gives a tie to the one that arrived last', () => {
    const utc = update('a', 'MOOD', '2026-12-01T10:00:00.000Z');
    const offset = update('b', 'MOOD', '2026-12-01T09:30:00.000-01:00');
    expect(isNewer(utc, offset)).toBe(true);
    expect(isNewer(offset, utc)).toBe(false);
    const same = update('c', 'MOOD', utc.recordedAt);
    expect(withNewest({ MOOD: utc }, [same])).toEqual({ MOOD: same });
    expect(isNewer(undefined, utc)).toBe(true);
  });

  it('leaves the summary it was given unchanged', () => {
    const before = { MOOD: update('m1', 'MOOD', '2026-12-01T08:00:00.000Z') };
    const after = withNewest(before, [update('m2', 'MOOD', '2026-12-01T09:00:00.000Z')]);
    expect(before.MOOD.id).toBe('m1');
    expect(after.MOOD?.id).toBe('m2');
  });
});

describe("the dashboard's alerts: merge and order", () => {
  it('orders critical, then warning, then info, newest first within each severity', () => {
    const alerts = [
      alert('info-new', 'INFO', '2026-12-01T12:00:00.000Z'),
      alert('warn-old', 'WARNING', '2026-12-01T08:00:00.000Z'),
      alert('crit-old', 'CRITICAL', '2026-12-01T07:00:00.000Z'),
      alert('warn-new', 'WARNING', '2026-12-01T11:00:00.000Z'),
      alert('crit-new', 'CRITICAL', '2026-12-01T09:00:00.000Z'),
    ];
    expect(ids(panelOrder(alerts))).toEqual(['crit-new', 'crit-old', 'warn-new', 'warn-old', 'info-new']);
    expect(ids(alerts)[0]).toBe('info-new');
  });

  it('moves an alert only forward: a late OPEN answer never undoes its acknowledgement', () => {
    const open = alert('a', 'CRITICAL', '2026-12-01T09:00:00.000Z', { escalationRound: 0, escalationTier: 0 });
    const acknowledged = { ...open, status: 'ACKNOWLEDGED' as const };
    const merged = mergeAlerts(new Map([['a', acknowledged]]), [open]);
    expect(merged.get('a')?.status).toBe('ACKNOWLEDGED');
    // Positive control: the acknowledgement after the open alert is taken.
    expect(mergeAlerts(new Map([['a', open]]), [acknowledged]).get('a')?.status).toBe('ACKNOWLEDGED');
    expect(supersedes(acknowledged, { ...open, status: 'RESOLVED' })).toBe(true);
  });

  it('takes a page to a higher tier or round and refuses one to a lower tier', () => {
    const tier = (round: number, t: number) => alert('a', 'CRITICAL', '2026-12-01T09:00:00.000Z', { escalationRound: round, escalationTier: t });
    expect(supersedes(tier(0, 0), tier(0, 1))).toBe(true);
    expect(supersedes(tier(0, 1), tier(0, 0))).toBe(false);
    expect(supersedes(tier(0, 2), tier(1, 0))).toBe(true);
    expect(supersedes(tier(1, 0), tier(0, 2))).toBe(false);
    expect(supersedes(alert('a', 'CRITICAL', '2026-12-01T09:00:00.000Z'), tier(0, 0))).toBe(true);
    expect(supersedes(undefined, tier(0, 0))).toBe(true);
  });

  it('adds new alerts beside the ones it had and leaves the map it was given unchanged', () => {
    const first = alert('a', 'WARNING', '2026-12-01T09:00:00.000Z');
    const before = new Map([['a', first]]);
    const after = mergeAlerts(before, [alert('b', 'CRITICAL', '2026-12-01T10:00:00.000Z')]);
    expect([...after.keys()]).toEqual(['a', 'b']);
    expect([...before.keys()]).toEqual(['a']);
    expect(ids(panelOrder(after.values()))).toEqual(['b', 'a']);
  });
});

describe("the live feed's cursor de-duplication", () => {
  it('accepts each cursor once and resumes from the newest accepted', () => {
    const seen = new SeenCursors(10);
    expect(seen.last).toBeNull();
    expect(['c1', 'c2', 'c3'].map((c) => seen.accept(c))).toEqual([true, true, true]);
    expect(seen.last).toBe('c3');
    // A replay after a reconnect overlaps the last two, then brings one new event.
    expect(['c2', 'c3', 'c4'].map((c) => seen.accept(c))).toEqual([false, false, true]);
    expect(seen.last).toBe('c4');
  });

  it('leaves the resume cursor alone when a repeat arrives', () => {
    const seen = new SeenCursors(10);
    seen.accept('c1');
    seen.accept('c2');
    expect(seen.accept('c1')).toBe(false);
    expect(seen.last).toBe('c2');
  });

  it('remembers only the last `limit` cursors, forgetting the oldest first', () => {
    const seen = new SeenCursors(3);
    for (const c of ['c1', 'c2', 'c3', 'c4']) seen.accept(c);
    expect(seen.size).toBe(3);
    expect(seen.accept('c2')).toBe(false);
    expect(seen.accept('c1')).toBe(true);
    expect(seen.size).toBe(3);
  });
});
