import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import type { PatientAccess } from '../auth/patient-access.js';
import { isGrantActive, type PatientGrant } from '../auth/patient-grants.js';
import type { StatusKind } from '../db/entities/index.js';
import type { LoadedAlertEvent } from '../alerting/alert-events.js';
import type { AlertEvent } from '../schema/alert/alert.type.js';
import type { StatusUpdateEvent } from '../schema/status/status-update.type.js';
import type { BoundedQueue } from './bounded-queue.js';
import { alertConcerns, type RelevanceTable } from './relevance.js';

/**
 * Which live stream a subscription follows: status updates (`patientUpdates`) or alert changes
 * (`alerts`). Both share the tenant's event cursor; each skips the other's events.
 */
export type LiveStream = 'STATUS' | 'ALERTS';

/** What one live subscription yields. */
export type LiveItem = StatusUpdateEvent | AlertEvent;

/** What a live subscriber asked for. */
export interface LiveFilter {
  readonly patientIds?: readonly string[] | null;
  readonly kinds?: readonly StatusKind[] | null;
  /** Replay everything after this tenant cursor before going live. */
  readonly sinceSeq?: number | null;
  /** Status updates (the default) or alerts. */
  readonly stream?: LiveStream;
}

/**
 * One open live subscription on this instance: its caller's grants (kept current by access
 * changes), what it asked for, its bounded queue, and the cursor it has reached.
 */
export class LiveSubscription {
  /** Highest cursor delivered (or skipped as not relevant); later events below it are duplicates. */
  lastSeq: number;
  /** While replaying from the database, live events wait here. */
  private pending: Array<{ seq: number; item: LiveItem }> | null = null;

  constructor(
    readonly access: PatientAccess,
    readonly grants: Map<string, PatientGrant>,
    readonly filter: LiveFilter,
    readonly queue: BoundedQueue<LiveItem>,
    private readonly relevance: () => RelevanceTable,
    private readonly now: () => number,
  ) {
    this.lastSeq = filter.sinceSeq ?? 0;
  }

  get userId(): string {
    return this.access.actor!.userId;
  }

  get stream(): LiveStream {
    return this.filter.stream ?? 'STATUS';
  }

  /** Whether this (alerts) subscriber should receive an alert event (see `alertConcerns`). */
  wantsAlert(event: Pick<LoadedAlertEvent, 'patientId' | 'category' | 'recipients'>): boolean {
    if (this.stream !== 'ALERTS') return false;
    const grant = this.grants.get(event.patientId);
    if (!grant || !isGrantActive(grant, this.now())) return false;
    return alertConcerns(grant, this.userId, event.recipients, event.category);
  }

  /**
   * Whether this subscriber should receive an event about this patient and kind: never beyond its
   * grant; the patient gets all of her own; a clinician who named `kinds` gets those kinds, and
   * otherwise what the tenant's routing table says is relevant to her care-team role.
   */
  wants(patientId: string, kind: StatusKind): boolean {
    if (this.stream !== 'STATUS' || !(kind in STATUS_KIND_CATEGORY)) return false;
    if (this.filter.kinds && !this.filter.kinds.includes(kind)) return false;
    const grant = this.grants.get(patientId);
    if (!grant || !isGrantActive(grant, this.now()) || !grant.categories.has(STATUS_KIND_CATEGORY[kind])) return false;
    if (this.filter.kinds || grant.relation === 'SELF') return true;
    return grant.careTeamRole !== null && this.relevance()[kind].includes(grant.careTeamRole);
  }

  beginReplay(): void {
    this.pending = [];
  }

  /** Delivers a live event, or holds it while a replay runs. Duplicates (at or below `lastSeq`) are dropped. */
  offer(seq: number, item: LiveItem): void {
    if (this.pending) {
      this.pending.push({ seq, item });
      return;
    }
    this.deliver(seq, item);
  }

  deliver(seq: number, item: LiveItem): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.queue.push(item);
  }

  /** Ends a replay: delivers held live events in cursor order, skipping those the replay already sent. */
  endReplay(): void {
    const held = this.pending ?? [];
    this.pending = null;
    held.sort((a, b) => a.seq - b.seq);
    for (const { seq, item } of held) this.deliver(seq, item);
  }
}

