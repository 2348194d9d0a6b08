/**
 * The dashboard's pure state rules: which update is a patient's newest of its kind, how alerts
 * merge and order, and which live events are repeats. No React, no I/O and no generated types
 * (structural types instead), so the root test suite can import this file as it is.
 */

/** What the summary rules read of a status update: its kind and when it was recorded (ISO 8601). */
export interface DatedUpdate<K extends string = string> {
  readonly kind: K;
  readonly recordedAt: string;
}

/** Whether `incoming` should replace `current` as the newest of its kind (a tie goes to the one that arrived last). */
export function isNewer(current: DatedUpdate | undefined, incoming: DatedUpdate): boolean {
  return !current || Date.parse(incoming.recordedAt) >= Date.parse(current.recordedAt);
}

/**
 * `latest` with each of `updates` taking its kind's place when it is newer; `latest` itself is
 * left as it was. Live events and loaded lists go through this one rule, in any order.
 */
export function withNewest<U extends DatedUpdate>(latest: Partial<Record<U['kind'], U>>, updates: Iterable<U>): Partial<Record<U['kind'], U>> {
  const next: Partial<Record<U['kind'], U>> = { ...latest };
  for (const update of updates) {
    const kind: U['kind'] = update.kind;
    if (isNewer(next[kind], update)) next[kind] = update;
  }
  return next;
}

/** What the alert rules read of an alert. */
export interface AlertLike {
  readonly id: string;
  readonly severity: 'CRITICAL' | 'WARNING' | 'INFO';
  readonly status: 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';
  /** When the alert was raised (ISO 8601). */
  readonly openedAt: string;
  readonly escalationRound?: number | null;
  readonly escalationTier?: number | null;
}

const SEVERITY_RANK = { CRITICAL: 0, WARNING: 1, INFO: 2 } as const;
const STATUS_RANK = { OPEN: 0, ACKNOWLEDGED: 1, RESOLVED: 2 } as const;

/**
 * Whether `incoming` is at least as far along as `current`: alerts only move forward (open,
 * acknowledged, resolved; tiers only rise), so a late answer never undoes a newer event.
 */
export function supersedes(current: AlertLike | undefined, incoming: AlertLike): boolean {
  if (!current) return true;
  const byStatus = STATUS_RANK[incoming.status] - STATUS_RANK[current.status];
  if (byStatus !== 0) return byStatus > 0;
  return (incoming.escalationRound ?? -1) * 1000 + (incoming.escalationTier ?? -1) >= (current.escalationRound ?? -1) * 1000 + (current.escalationTier ?? -1);
}

/** `current` (keyed by alert id) with each of `incoming` taken where it {@link supersedes} what is there; `current` is left as it was. */
export function mergeAlerts<A extends AlertLike>(current: ReadonlyMap<string, A>, incoming: Iterable<A>): Map<string, A> {
  const next = new Map(current);
  for (const alert of incoming) if (supersedes(next.get(alert.id), alert)) next.set(alert.id, alert);
  return next;
}

/** Alerts in panel order: critical first, then warning, then info; newest first within each. */
export function panelOrder<A extends AlertLike>(alerts: Iterable<A>): A[] {
  return [...alerts].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || Date.parse(b.openedAt) - Date.parse(a.openedAt));
}

/**
 * The cursors a live subscription has delivered, to drop a replay's repeats, and the newest one
 * to resume from. Only the last `limit` cursors are remembered (a replay overlaps only the last
 * few), so a long session's memory stays bounded.
 */
export class SeenCursors {
  private readonly seen = new Set<string>();
  private newest: string | null = null;

  /** @param limit how many cursors to remember; at least 1. */
  constructor(private readonly limit: number) {}

  /** The newest cursor accepted, to resume from; null before the first. */
  get last(): string | null {
    return this.newest;
  }

  /** How many cursors are remembered now (at most `limit`). */
  get size(): number {
    return this.seen.size;
  }

  /** Accepts `cursor` and returns true the first time it is seen; a repeat returns false and changes nothing. */
  accept(cursor: string): boolean {
    if (this.seen.has(cursor)) return false;
    this.seen.add(cursor);
    if (this.seen.size > Math.max(1, this.limit)) this.seen.delete(this.seen.values().next().value as string);
    this.newest = cursor;
    return true;
  }
}
