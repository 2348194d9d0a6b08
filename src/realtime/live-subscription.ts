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
 * The live subscriptions of a tenant room by patient: who holds a grant for her. An event is
 * offered only to the subscriptions indexed under its patient, so its cost does not grow with the
 * number of unrelated subscribers.
 */
export class GrantIndex {
  private readonly byPatient = new Map<string, Set<LiveSubscription>>();

  add(patientId: string, subscription: LiveSubscription): void {
    let set = this.byPatient.get(patientId);
    if (!set) this.byPatient.set(patientId, (set = new Set()));
    set.add(subscription);
  }

  remove(patientId: string, subscription: LiveSubscription): void {
    const set = this.byPatient.get(patientId);
    if (!set) return;
    set.delete(subscription);
    if (set.size === 0) this.byPatient.delete(patientId);
  }

  /** The subscriptions holding a grant for this patient (do not modify). */
  of(patientId: string): ReadonlySet<LiveSubscription> {
    return this.byPatient.get(patientId) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<LiveSubscription> = new Set();

/**
 * One open live subscription on this instance: its caller's grants (kept current by access
 * changes), what it asked for, its bounded queue, and the cursor it has reached.
 */
export class LiveSubscription {
  /** Highest cursor delivered (or skipped as not relevant); later events below it are duplicates. */
  lastSeq: number;
  /** While replaying from the database, live events wait here (at most {@link holdLimit} of them). */
  private pending: Array<{ seq: number; item: LiveItem }> | null = null;
  /**
   * Changes whenever the replay under way must query the database again before it may end: held
   * live events were dropped (too many waited), or a catch-up asked for another read. A query that
   * starts after a change sees what it is about, since every event on the bus is committed.
   */
  private readGeneration = 0;

  /** The grants this subscription holds, by patient (change them only through `grant`/`revoke`, which keep the room's index). */
  readonly grants = new Map<string, PatientGrant>();

  constructor(
    readonly access: PatientAccess,
    grants: ReadonlyMap<string, PatientGrant>,
    readonly filter: LiveFilter,
    readonly queue: BoundedQueue<LiveItem>,
    private readonly relevance: () => RelevanceTable,
    private readonly now: () => number,
    private readonly index: GrantIndex = new GrantIndex(),
  ) {
    this.lastSeq = filter.sinceSeq ?? 0;
    for (const [patientId, grant] of grants) this.grant(patientId, grant);
  }

  /** Holds (or replaces) a grant for a patient, for delivery and for field checks. */
  grant(patientId: string, grant: PatientGrant): void {
    this.grants.set(patientId, grant);
    this.access.setGrant(patientId, grant);
    this.index.add(patientId, this);
  }

  /** Drops a patient's grant: nothing more about her is delivered or readable through this subscription. */
  revoke(patientId: string): void {
    this.grants.delete(patientId);
    this.access.setGrant(patientId, null);
    this.index.remove(patientId, this);
  }

  /** Drops every grant (the subscription is leaving, or all grants are looked up again). */
  revokeAll(): void {
    for (const patientId of [...this.grants.keys()]) this.revoke(patientId);
  }

  get userId(): string {
    return this.access.actor!.userId;
  }

  get stream(): LiveStream {
    return this.filter.stream ?? 'STATUS';
  }

  /** Whether this (alerts) subscriber should receive an alert event (see `alertConcerns`). */
  wantsAlert(event: Pick<LoadedAlertEvent, 'patientId' | 'categories' | 'recipients'>): boolean {
    if (this.stream !== 'ALERTS') return false;
    const grant = this.grants.get(event.patientId);
    if (!grant || !isGrantActive(grant, this.now())) return false;
    return alertConcerns(grant, this.userId, event.recipients, event.categories);
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

  /** Whether a replay from the database is under way (live events are held meanwhile). */
  get replaying(): boolean {
    return this.pending !== null;
  }

  /**
   * Most replayed events handed to the queue ahead of its reader: half the queue, so that the held
   * live events ({@link holdLimit}, the other half) still fit when the replay ends.
   */
  get replayAhead(): number {
    return Math.max(1, Math.floor(this.queue.capacity / 2));
  }

  /** Most live events held during a replay; beyond it they are dropped and read from the database instead. */
  get holdLimit(): number {
    return Math.max(1, this.queue.capacity - this.replayAhead);
  }

  /**
   * Starts holding live events for a replay from the database. Returns false when a replay is
   * already under way: it is then asked to query once more before it ends (a catch-up after a bus
   * outage must see what the bus lost), and no second replay may start.
   */
  beginReplay(): boolean {
    if (this.pending) {
      this.readGeneration += 1;
      return false;
    }
    this.pending = [];
    return true;
  }

  /** Read by the replay just before each query; see {@link endReplay}. */
  get replayGeneration(): number {
    return this.readGeneration;
  }

  /**
   * Delivers a live event, or holds it while a replay runs. Duplicates (at or below `lastSeq`) are
   * dropped. Held events are bounded: past {@link holdLimit} they are all dropped, and the replay
   * queries again, which finds them in the database (every event on the bus is committed).
   */
  offer(seq: number, item: LiveItem): void {
    if (this.pending) {
      if (this.pending.length >= this.holdLimit) {
        this.dropHeld();
        return;
      }
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

  /**
   * Ends a replay whose last query (started at `generation`, see {@link replayGeneration}) found
   * nothing newer: delivers the held live events in cursor order, skipping those the replay
   * already sent, and returns true. Returns false, and the replay must query again from where it
   * got to, when held events were dropped or a catch-up asked for another read since that query
   * started, or when the held events would not fit the queue beside what waits in it (they are
   * dropped then). Checking and switching happen in one synchronous step, so no live event can
   * slip between the last query and the switch to live.
   */
  endReplay(generation: number): boolean {
    const held = this.pending;
    if (!held) return true;
    if (this.queue.size + held.length > this.queue.capacity) this.dropHeld();
    if (generation !== this.readGeneration) return false;
    this.pending = null;
    held.sort((a, b) => a.seq - b.seq);
    for (const { seq, item } of held) this.deliver(seq, item);
    return true;
  }

  private dropHeld(): void {
    if (this.pending) this.pending.length = 0;
    this.readGeneration += 1;
  }
}

