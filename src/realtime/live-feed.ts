import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import type { PatientAccess } from '../auth/patient-access.js';
import { isGrantActive, resolvePatientGrants, type PatientGrant } from '../auth/patient-grants.js';
import { StatusUpdate, Tenant, type StatusKind } from '../db/entities/index.js';
import type { AppLogger } from '../logger.js';
import { StatusUpdateView, type StatusUpdateEvent } from '../schema/status/status-update.type.js';
import { BusUnavailableError } from '../errors.js';
import { BoundedQueue, type QueueBounds } from './bounded-queue.js';
import { Channels, type EventBus } from './event-bus.js';
import type { LiveMetrics } from './live-metrics.js';
import type { PublishedEvent } from './outbox-relay.js';
import { DEFAULT_RELEVANCE, relevanceTable, type RelevanceTable } from './relevance.js';

/** What a live subscriber asked for. */
export interface LiveFilter {
  readonly patientIds?: readonly string[] | null;
  readonly kinds?: readonly StatusKind[] | null;
  /** Replay everything after this tenant cursor before going live. */
  readonly sinceSeq?: number | null;
}

/**
 * An access change announced on the bus: a patient's care team changed (for one user, or for
 * everyone), or the tenant's live-routing table changed.
 */
export type AccessChange =
  | { readonly type: 'CARE_TEAM'; readonly patientId: string; readonly userId: string | null }
  | { readonly type: 'ROUTING' };

const REPLAY_PAGE = 500;

/** One open live subscription on this instance. */
class LiveSubscription {
  /** Highest cursor delivered (or skipped as not relevant); later events below it are duplicates. */
  lastSeq: number;
  /** While replaying from the database, live events wait here. */
  private pending: Array<{ seq: number; view: StatusUpdateView }> | null = null;

  constructor(
    readonly access: PatientAccess,
    readonly grants: Map<string, PatientGrant>,
    readonly filter: LiveFilter,
    readonly queue: BoundedQueue<StatusUpdateEvent>,
    private readonly relevance: () => RelevanceTable,
    private readonly now: () => number,
  ) {
    this.lastSeq = filter.sinceSeq ?? 0;
  }

  get userId(): string {
    return this.access.actor!.userId;
  }

  /**
   * Whether this subscriber should receive an event about this patient and kind: never beyond its
   * grant; the patient gets all of her own; a clinician who named `kinds` gets those kinds, and
   * otherwise what the tenant's routing table says is relevant to her care-team role.
   */
  wants(patientId: string, kind: StatusKind): boolean {
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
  offer(seq: number, view: StatusUpdateView): void {
    if (this.pending) {
      this.pending.push({ seq, view });
      return;
    }
    this.deliver(seq, view);
  }

  deliver(seq: number, view: StatusUpdateView): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.queue.push({ cursor: view.cursor, update: view });
  }

  /** Ends a replay: delivers held live events in cursor order, skipping those the replay already sent. */
  endReplay(): void {
    const held = this.pending ?? [];
    this.pending = null;
    held.sort((a, b) => a.seq - b.seq);
    for (const { seq, view } of held) this.deliver(seq, view);
  }
}

/**
 * The live subscribers of one tenant on this instance, and the bus subscriptions feeding them.
 * Bus messages are applied strictly in arrival order through `tail` (updates load concurrently, but
 * are handed over in order), because a subscriber drops any cursor below the last it received.
 */
interface TenantRoom {
  readonly subscribers: Set<LiveSubscription>;
  readonly joined: Promise<unknown>;
  readonly unsubscribes: Array<() => Promise<void>>;
  tail: Promise<void>;
  /** The tenant's live-routing table, reloaded when it changes. */
  relevance: RelevanceTable;
  /** Events received in this turn of the event loop, loaded together in one query. */
  batch: PublishedEvent[];
}

/**
 * Delivers committed status updates to the live subscribers on this instance that may see them.
 *
 * One bus subscription per tenant per instance, whatever the number of subscribers. For each event
 * the update is loaded once and its view built once, then handed to each entitled subscriber; the
 * entitlement check per subscriber is an in-memory lookup in grants that access changes update at
 * once. A subscriber with `since` first replays from PostgreSQL while live events are held, then
 * switches to live with no gap and no duplicate (cursor order within a tenant is commit order).
 */
export class LiveFeed {
  private readonly rooms = new Map<string, TenantRoom>();
  private readonly detachReconnect: () => void;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly logger: AppLogger,
    private readonly bounds: QueueBounds,
    private readonly metrics: LiveMetrics,
    private readonly now: () => number,
  ) {
    this.detachReconnect = bus.onReconnect(() => this.catchUpAll());
    // Stalled readers are cut off even when no new event arrives to notice it.
    this.stallSweep = setInterval(() => this.sweepStalled(), Math.max(50, Math.min(1000, bounds.maxLagMs / 2)));
    this.stallSweep.unref();
  }

  private readonly stallSweep: NodeJS.Timeout;

  private sweepStalled(): void {
    for (const room of this.rooms.values()) for (const subscriber of room.subscribers) subscriber.queue.checkStall();
  }

  /**
   * Opens a subscription for the caller behind `access`. The returned iterator yields events until
   * the client unsubscribes, or `onOverflow` runs when the client reads too slowly.
   */
  async open(access: PatientAccess, em: EntityManager, filter: LiveFilter, onOverflow: () => void): Promise<AsyncIterableIterator<StatusUpdateEvent>> {
    const actor = access.requireActor();
    const grants = await resolvePatientGrants(em, actor, this.now(), filter.patientIds ?? undefined);
    access.seed(grants);
    let subscription!: LiveSubscription;
    const overflow = () => {
      this.metrics.slowConsumersDropped.inc();
      onOverflow();
    };
    const queue = new BoundedQueue<StatusUpdateEvent>(this.bounds, overflow, () => this.leave(actor.tenantId, subscription));
    const room = this.roomOf(actor.tenantId);
    subscription = new LiveSubscription(access, grants, filter, queue, () => room.relevance, this.now);
    if (filter.sinceSeq != null) subscription.beginReplay();
    room.subscribers.add(subscription);
    try {
      await room.joined;
      if (filter.sinceSeq != null) {
        try {
          await this.replay(actor.tenantId, subscription);
        } finally {
          subscription.endReplay();
        }
      }
    } catch {
      // The subscription never went live (bus or database down): take it out again.
      queue.end();
      throw BusUnavailableError.live();
    }
    this.opened += 1;
    return queue;
  }

  /** Ends every subscription and bus subscription. */
  async close(): Promise<void> {
    this.detachReconnect();
    clearInterval(this.stallSweep);
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    for (const room of rooms) {
      for (const subscriber of room.subscribers) subscriber.queue.end();
      await room.joined.catch(() => undefined);
      for (const unsubscribe of room.unsubscribes) await unsubscribe();
    }
  }

  /** How many subscriptions have become live on this instance since it started (tests wait on it). */
  get openedCount(): number {
    return this.opened;
  }

  private opened = 0;

  /** How many live subscriptions this instance holds (for metrics and tests). */
  get subscriptionCount(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.subscribers.size;
    return count;
  }

  /**
   * The tenant's room on this instance, created on first use: it subscribes to the tenant's bus
   * channels and loads its routing table; `joined` settles when both are done.
   */
  private roomOf(tenantId: string): TenantRoom {
    const existing = this.rooms.get(tenantId);
    if (existing) return existing;
    const room: TenantRoom = { subscribers: new Set(), joined: Promise.resolve(), unsubscribes: [], tail: Promise.resolve(), relevance: DEFAULT_RELEVANCE, batch: [] };
    (room as { joined: Promise<unknown> }).joined = Promise.all([
      this.bus.subscribe(Channels.tenantEvents(tenantId), (message) => this.onEvent(room, message)).then((u) => room.unsubscribes.push(u)),
      this.bus.subscribe(Channels.tenantAccess(tenantId), (message) => this.onAccessChange(tenantId, room, message)).then((u) => room.unsubscribes.push(u)),
      this.loadRelevance(tenantId).then((table) => {
        room.relevance = table;
      }),
    ]);
    // A room whose bus subscriptions failed (Redis down) must not stay: the next subscriber retries.
    room.joined.catch(() => {
      if (this.rooms.get(tenantId) === room) this.rooms.delete(tenantId);
      for (const unsubscribe of room.unsubscribes) void unsubscribe().catch(() => undefined);
    });
    this.rooms.set(tenantId, room);
    return room;
  }

  private async loadRelevance(tenantId: string): Promise<RelevanceTable> {
    const tenant = await this.orm.em.fork().findOne(Tenant, { id: tenantId }, { fields: ['liveRouting'] });
    return relevanceTable(tenant?.liveRouting);
  }

  private leave(tenantId: string, subscription: LiveSubscription): void {
    const room = this.rooms.get(tenantId);
    if (!room) return;
    room.subscribers.delete(subscription);
    if (room.subscribers.size === 0) {
      this.rooms.delete(tenantId);
      void room.joined.then(() => Promise.all(room.unsubscribes.map((u) => u()))).catch(() => undefined);
    }
  }

  /** Runs `step` after every earlier bus message of the room has been applied. */
  private inOrder(room: TenantRoom, step: () => Promise<void>): void {
    room.tail = room.tail.then(step).catch((err: unknown) => {
      this.logger.error({ err }, 'live delivery step failed');
    });
  }

  private onEvent(room: TenantRoom, message: string): void {
    let event: PublishedEvent;
    try {
      event = JSON.parse(message) as PublishedEvent;
    } catch {
      this.logger.warn('ignored a malformed bus event');
      return;
    }
    if (this.recipientsOf(room, event).length === 0) return;
    room.batch.push(event);
    // Events arriving in the same turn are loaded with one query; yielding to I/O between batches
    // keeps a burst from starving the sockets.
    if (room.batch.length === 1) setImmediate(() => this.flushBatch(room));
  }

  private recipientsOf(room: TenantRoom, event: PublishedEvent): LiveSubscription[] {
    return [...room.subscribers].filter((s) => s.wants(event.patientId, event.kind as StatusKind) && event.seq > s.lastSeq);
  }

  /** Loads the batched events' updates at once and hands them over in arrival order. */
  private flushBatch(room: TenantRoom): void {
    const events = room.batch.splice(0);
    if (events.length === 0) return;
    const loading = this.orm.em
      .fork()
      .find(StatusUpdate, { id: { $in: events.map((e) => e.subjectId) } })
      .catch((err: unknown) => {
        this.logger.error({ err }, 'could not load status updates for live delivery');
        return [];
      });
    this.inOrder(room, async () => {
      const rows = new Map((await loading).map((row) => [row.id, row]));
      const now = Date.now();
      for (const event of events) {
        const row = rows.get(event.subjectId);
        if (!row || row.tenantId !== event.tenantId) continue;
        // Access may have changed while the rows loaded: check each subscriber now.
        const recipients = this.recipientsOf(room, event);
        if (recipients.length === 0) continue;
        const view = new StatusUpdateView(row);
        for (const subscriber of recipients) subscriber.offer(event.seq, view);
        this.metrics.eventsDelivered.inc({ kind: event.kind }, recipients.length);
        const lagSeconds = Math.max(0, now - event.committedAt) / 1000;
        for (let i = 0; i < recipients.length; i++) this.metrics.deliveryLag.observe(lagSeconds);
      }
    });
  }

  /**
   * Applies an access change: the affected grant is dropped at once (nothing more is delivered),
   * then looked up again, so a subscriber who still has access keeps receiving.
   */
  private onAccessChange(tenantId: string, room: TenantRoom, message: string): void {
    let change: AccessChange;
    try {
      change = JSON.parse(message) as AccessChange;
    } catch {
      return;
    }
    // Events that arrived before this change go first.
    this.flushBatch(room);
    if (change.type === 'ROUTING') {
      this.inOrder(room, async () => {
        room.relevance = await this.loadRelevance(tenantId);
      });
      return;
    }
    const affected = [...room.subscribers].filter(
      (s) => (change.userId === null || s.userId === change.userId) && (!s.filter.patientIds || s.filter.patientIds.includes(change.patientId)),
    );
    for (const subscriber of affected) {
      subscriber.grants.delete(change.patientId);
      subscriber.access.setGrant(change.patientId, null);
    }
    const { patientId } = change;
    this.inOrder(room, () => this.recheck(affected, patientId));
  }

  /** Looks a patient's grant up again for subscribers whose access to her changed. */
  private async recheck(affected: readonly LiveSubscription[], patientId: string): Promise<void> {
    for (const subscriber of affected) {
      try {
        const grants = await resolvePatientGrants(this.orm.em.fork(), subscriber.access.actor!, this.now(), [patientId]);
        const grant = grants.get(patientId);
        if (grant && !subscriber.queue.isEnded) {
          subscriber.grants.set(patientId, grant);
          subscriber.access.setGrant(patientId, grant);
        }
      } catch (err) {
        this.logger.error({ err }, 'could not re-check a live subscriber after an access change');
      }
    }
  }

  /** Sends a subscriber every entitled update after its `lastSeq`, from the database, in cursor order. */
  private async replay(tenantId: string, subscription: LiveSubscription): Promise<void> {
    const patientIds = [...subscription.grants.keys()];
    if (patientIds.length === 0) return;
    const em = this.orm.em.fork();
    let after = subscription.lastSeq;
    for (;;) {
      const rows = await em.find(
        StatusUpdate,
        {
          tenantId,
          patientId: { $in: patientIds },
          seq: { $gt: after },
          ...(subscription.filter.kinds ? { kind: { $in: [...subscription.filter.kinds] } } : {}),
        },
        { orderBy: { seq: 'asc' }, limit: REPLAY_PAGE },
      );
      for (const row of rows) {
        if (subscription.queue.isEnded) return;
        after = row.seq;
        if (subscription.wants(row.patientId, row.kind as StatusKind)) subscription.deliver(row.seq, new StatusUpdateView(row));
      }
      if (rows.length < REPLAY_PAGE) return;
      em.clear();
    }
  }

  /** After a bus outage, every subscriber catches up from the database (live events are held meanwhile). */
  private catchUpAll(): void {
    for (const [tenantId, room] of this.rooms) {
      this.inOrder(room, async () => {
        for (const subscription of room.subscribers) {
          try {
            await this.replay(tenantId, subscription);
          } catch (err) {
            this.logger.error({ err }, 'could not catch a live subscriber up after a bus outage');
          }
        }
      });
    }
  }
}
