import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { PatientAccess } from '../auth/patient-access.js';
import { resolvePatientGrants, type PatientGrant } from '../auth/patient-grants.js';
import { StatusUpdate, Tenant, type StatusKind } from '../db/entities/index.js';
import { tenantScopedEm } from '../db/tenant-scope.js';
import type { AppLogger } from '../logger.js';
import { StatusUpdateView, type StatusUpdateEvent } from '../schema/status/status-update.type.js';
import type { AlertEvent } from '../schema/alert/alert.type.js';
import { alertEventsAfter, loadAlertEvents, type LoadedAlertEvent } from '../alerting/alert-events.js';
import { BusUnavailableError } from '../errors.js';
import { BoundedQueue, type QueueBounds } from './bounded-queue.js';
import { GrantIndex, LiveSubscription, type LiveFilter, type LiveItem } from './live-subscription.js';

export type { LiveFilter, LiveItem, LiveStream } from './live-subscription.js';
import { Channels, type EventBus } from './event-bus.js';
import type { LiveMetrics } from './live-metrics.js';
import type { PublishedEvent } from './outbox-relay.js';
import { PendingAccess } from './pending-access.js';
import { DEFAULT_RELEVANCE, relevanceTable, type RelevanceTable } from './relevance.js';

/**
 * An access change announced on the bus: a patient's care team changed (for one user, or for
 * everyone), or the tenant's live-routing table changed.
 */
export type AccessChange =
  | { readonly type: 'CARE_TEAM'; readonly patientId: string; readonly userId: string | null }
  | { readonly type: 'ROUTING' }
  /** The tenant's role permissions changed: every grant is looked up again. */
  | { readonly type: 'PERMISSIONS' };

const REPLAY_PAGE = 500;

/**
 * The live subscribers of one tenant on this instance, and the bus subscriptions feeding them.
 * Bus messages are applied strictly in arrival order through `tail` (updates load concurrently, but
 * are handed over in order), because a subscriber drops any cursor below the last it received.
 */
interface TenantRoom {
  readonly tenantId: string;
  readonly subscribers: Set<LiveSubscription>;
  /** The subscribers by patient they hold a grant for (kept by `LiveSubscription.grant`/`revoke`). */
  readonly index: GrantIndex;
  readonly joined: Promise<unknown>;
  readonly unsubscribes: Array<() => Promise<void>>;
  tail: Promise<void>;
  /** The tenant's live-routing table, reloaded when it changes. */
  relevance: RelevanceTable;
  /** Events received in this turn of the event loop, loaded together in one query. */
  batch: PublishedEvent[];
  /** Access steps queued but not yet applied, and the deliveries waiting for them (see `LiveFeed.accessStep`). */
  readonly pendingAccess: PendingAccess;
}

/**
 * Delivers committed status updates and alert changes to the live subscribers on this instance
 * that may see them. Events are routed by type: STATUS_UPDATE_LOGGED to `patientUpdates`
 * subscribers (by relevance and grant), ALERT_CHANGED to `alerts` subscribers (by the alert's
 * audience and grant, see `alertConcerns`).
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
    this.reviewDueGrants();
  }

  /**
   * Grants of open subscriptions that a consent with an expiry shaped (`PatientGrant.reviewAt`), by
   * subscription and patient: only these are looked at by {@link reviewDueGrants}, so the sweep
   * costs nothing for the (usual) grants without one.
   */
  private readonly reviews = new Map<LiveSubscription, Map<string, PatientGrant>>();

  /** Notes a grant just given to a subscription for review, if a consent expiry shaped it. */
  private noteReview(subscription: LiveSubscription, patientId: string, grant: PatientGrant): void {
    if (grant.reviewAt == null) return;
    let byPatient = this.reviews.get(subscription);
    if (!byPatient) this.reviews.set(subscription, (byPatient = new Map()));
    byPatient.set(patientId, grant);
  }

  /**
   * Re-checks grants whose consent has expired, like a revocation: the grant is dropped at once
   * (it stopped counting as active at its review time anyway, see `isGrantActive`), then looked up
   * again, so what the patient still allows keeps flowing. Runs on every stall sweep (at most a
   * second apart).
   */
  private reviewDueGrants(): void {
    if (this.reviews.size === 0) return;
    const now = this.now();
    for (const [subscription, byPatient] of this.reviews) {
      const room = this.rooms.get(subscription.access.actor!.tenantId);
      for (const [patientId, grant] of byPatient) {
        if (subscription.queue.isEnded || !room || subscription.grants.get(patientId) !== grant) {
          byPatient.delete(patientId);
        } else if (grant.reviewAt! <= now) {
          byPatient.delete(patientId);
          subscription.revoke(patientId);
          this.accessStep(room, patientId, () => this.recheck([subscription], patientId));
        }
      }
      if (byPatient.size === 0) this.reviews.delete(subscription);
    }
  }

  /**
   * Opens a subscription for the caller behind `access`. The returned iterator yields events until
   * the client unsubscribes, or `onOverflow` runs when the client reads too slowly.
   */
  async open(access: PatientAccess, em: EntityManager, filter: LiveFilter, onOverflow: () => void): Promise<AsyncIterableIterator<StatusUpdateEvent>> {
    return (await this.openStream(access, em, { ...filter, stream: 'STATUS' }, onOverflow)) as AsyncIterableIterator<StatusUpdateEvent>;
  }

  /** Opens an `alerts` subscription: alert changes the caller is meant to see, replayed from `sinceSeq` first. */
  async openAlerts(access: PatientAccess, em: EntityManager, sinceSeq: number | null, onOverflow: () => void): Promise<AsyncIterableIterator<AlertEvent>> {
    return (await this.openStream(access, em, { sinceSeq, stream: 'ALERTS' }, onOverflow)) as AsyncIterableIterator<AlertEvent>;
  }

  private async openStream(access: PatientAccess, em: EntityManager, filter: LiveFilter, onOverflow: () => void): Promise<AsyncIterableIterator<LiveItem>> {
    const actor = access.requireActor();
    const grants = await resolvePatientGrants(em, actor, this.now(), filter.patientIds ?? undefined);
    access.seed(grants);
    let subscription!: LiveSubscription;
    const overflow = () => {
      this.metrics.slowConsumersDropped.inc();
      onOverflow();
    };
    const queue = new BoundedQueue<LiveItem>(this.bounds, overflow, () => this.leave(actor.tenantId, subscription));
    const room = this.roomOf(actor.tenantId);
    subscription = new LiveSubscription(access, grants, filter, queue, () => room.relevance, this.now, room.index);
    for (const [patientId, grant] of grants) this.noteReview(subscription, patientId, grant);
    if (filter.sinceSeq != null) subscription.beginReplay();
    room.subscribers.add(subscription);
    try {
      await room.joined;
    } catch {
      // The subscription never went live (bus or database down): take it out again.
      queue.end();
      throw BusUnavailableError.live();
    }
    // The replay runs beside the reader, paced by it (see `replay`); live events are held meanwhile.
    if (filter.sinceSeq != null) this.runReplay(actor.tenantId, subscription);
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
    const room: TenantRoom = { tenantId, subscribers: new Set(), index: new GrantIndex(), joined: Promise.resolve(), unsubscribes: [], tail: Promise.resolve(), relevance: DEFAULT_RELEVANCE, batch: [], pendingAccess: new PendingAccess() };
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

  /**
   * A fresh EntityManager confined to one tenant by PostgreSQL's row-level security (see
   * `tenantScopedEm`), for everything the feed reads on a subscriber's behalf: live loads, replays,
   * grants and routing. Only the tenant's own rows can reach its subscribers, even if a query here
   * forgot its tenant filter.
   */
  private tenantEm(tenantId: string): EntityManager {
    return tenantScopedEm(this.orm.em, tenantId);
  }

  private async loadRelevance(tenantId: string): Promise<RelevanceTable> {
    const tenant = await this.tenantEm(tenantId).findOne(Tenant, { id: tenantId }, { fields: ['liveRouting'] });
    return relevanceTable(tenant?.liveRouting);
  }

  private leave(tenantId: string, subscription: LiveSubscription): void {
    const room = this.rooms.get(tenantId);
    if (!room) return;
    room.subscribers.delete(subscription);
    for (const patientId of subscription.grants.keys()) room.index.remove(patientId, subscription);
    this.reviews.delete(subscription);
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

  /**
   * Takes one bus message: the relay's batch of a tenant's events (an array, in cursor order), or a
   * single event as relays published them before batching (so instances can be upgraded one by one).
   */
  private onEvent(room: TenantRoom, message: string): void {
    let events: PublishedEvent[];
    try {
      const parsed = JSON.parse(message) as PublishedEvent | PublishedEvent[];
      events = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      this.logger.warn('ignored a malformed bus event');
      return;
    }
    const pending = room.batch.length;
    const pendingAccess = room.pendingAccess;
    if (pendingAccess.settled) {
      for (const event of events) if (this.hasRecipient(room, event)) room.batch.push(event);
    } else {
      // A pending access step may give back a grant it dropped: what it concerns is judged after it.
      for (const event of events) if (pendingAccess.concerns(event.patientId) || this.hasRecipient(room, event)) room.batch.push(event);
    }
    // Events arriving in the same turn are loaded with one query; yielding to I/O between batches
    // keeps a burst from starving the sockets.
    if (pending === 0 && room.batch.length > 0) setImmediate(() => this.flushBatch(room));
  }

  /**
   * Who may receive an event: for a status update, exactly (relevance and grant); for an alert
   * change, the alerts subscribers with a grant for the patient (the audience is known only once
   * the step is loaded).
   */
  private recipientsOf(room: TenantRoom, event: PublishedEvent): LiveSubscription[] {
    return [...room.index.of(event.patientId)].filter((s) => receives(s, event));
  }

  /** Whether anyone may receive an event ({@link recipientsOf} without listing them): the first match decides. */
  private hasRecipient(room: TenantRoom, event: PublishedEvent): boolean {
    for (const s of room.index.of(event.patientId)) if (receives(s, event)) return true;
    return false;
  }

  /**
   * Queues an access step (a grant lookup or a routing reload) in order, pending for `patientId`
   * (`null`: every patient) from now until it has been applied. Meanwhile, events it concerns are
   * kept on arrival, and deliveries queued before it that it concerns wait for it (see
   * `PendingAccess`): both are decided by the grants and routing it leaves.
   */
  private accessStep(room: TenantRoom, patientId: string | null, step: () => Promise<void>): void {
    room.pendingAccess.begin(patientId);
    this.inOrder(room, async () => {
      try {
        await step();
      } finally {
        room.pendingAccess.end(patientId);
      }
    });
  }

  /** Loads the batched events' updates and alert steps at once and hands them over in arrival order. */
  private flushBatch(room: TenantRoom): void {
    const events = room.batch.splice(0);
    if (events.length === 0) return;
    const alertEvents = events.filter((e) => e.type === 'ALERT_CHANGED');
    const statusIds = events.filter((e) => e.type !== 'ALERT_CHANGED').map((e) => e.subjectId);
    // A batch that cannot be loaded (database unavailable) is not lost: its events are committed,
    // so each subscriber that should get one catches up from the database instead (see below).
    const loading = (statusIds.length === 0 ? Promise.resolve([]) : this.tenantEm(room.tenantId).find(StatusUpdate, { id: { $in: statusIds } })).catch((err: unknown) => {
      this.logger.warn({ err }, 'could not load status updates for live delivery; their subscribers catch up from the database');
      return null;
    });
    const loadingAlerts = (
      alertEvents.length === 0 ? Promise.resolve(new Map<number, LoadedAlertEvent>()) : loadAlertEvents(this.tenantEm(room.tenantId), room.tenantId, alertEvents.map((e) => e.seq))
    ).catch((err: unknown) => {
      this.logger.warn({ err }, 'could not load alert changes for live delivery; their subscribers catch up from the database');
      return null;
    });
    this.inOrder(room, async () => {
      const loaded = await loading;
      const rows = loaded === null ? null : new Map(loaded.map((row) => [row.id, row]));
      const alerts = await loadingAlerts;
      const now = Date.now();
      const pendingAccess = room.pendingAccess;
      // Access may have changed while the rows loaded, or be changing: each subscriber is checked
      // when the delivery runs, after any pending access step that concerns the event.
      for (const event of events) {
        if (pendingAccess.settled) this.deliverLoaded(room, event, rows, alerts, now);
        else pendingAccess.deliver(event.patientId, () => this.deliverLoaded(room, event, rows, alerts, Date.now()));
      }
    });
  }

  /**
   * Hands one event of a loaded batch to the subscribers entitled to it now; if its batch could not
   * be loaded (`null`), they catch up from the database instead.
   */
  private deliverLoaded(
    room: TenantRoom,
    event: PublishedEvent,
    rows: ReadonlyMap<string, StatusUpdate> | null,
    alerts: ReadonlyMap<number, LoadedAlertEvent> | null,
    now: number,
  ): void {
    if ((event.type === 'ALERT_CHANGED' ? alerts : rows) === null) {
      for (const subscriber of this.recipientsOf(room, event)) this.catchUp(event.tenantId, subscriber);
    } else if (event.type === 'ALERT_CHANGED') {
      this.deliverAlert(room, event, alerts!.get(event.seq), now);
    } else {
      this.deliverUpdate(room, event, rows!.get(event.subjectId), now);
    }
  }

  /** Hands one loaded status update to the subscribers entitled to it now. */
  private deliverUpdate(room: TenantRoom, event: PublishedEvent, row: StatusUpdate | undefined, now: number): void {
    if (!row || row.tenantId !== room.tenantId || row.tenantId !== event.tenantId) return;
    const recipients = this.recipientsOf(room, event);
    if (recipients.length === 0) return;
    const view = new StatusUpdateView(row);
    for (const subscriber of recipients) subscriber.offer(event.seq, { cursor: view.cursor, update: view });
    this.metrics.eventsDelivered.inc({ kind: event.kind }, recipients.length);
    const lagSeconds = Math.max(0, now - event.committedAt) / 1000;
    for (let i = 0; i < recipients.length; i++) this.metrics.deliveryLag.observe(lagSeconds);
  }

  /** Hands one loaded alert change to the alerts subscribers it concerns (checked now, after loading). */
  private deliverAlert(room: TenantRoom, event: PublishedEvent, loaded: LoadedAlertEvent | undefined, now: number): void {
    if (!loaded || loaded.patientId !== event.patientId) return;
    const recipients = this.recipientsOf(room, event).filter((s) => s.wantsAlert(loaded));
    if (recipients.length === 0) return;
    for (const subscriber of recipients) subscriber.offer(event.seq, loaded.event);
    this.metrics.eventsDelivered.inc({ kind: 'ALERT' }, recipients.length);
    const lagSeconds = Math.max(0, now - event.committedAt) / 1000;
    for (let i = 0; i < recipients.length; i++) this.metrics.deliveryLag.observe(lagSeconds);
  }

  /**
   * Applies an access change: the affected grant is dropped at once (nothing more is delivered),
   * then looked up again, so a subscriber who still has access keeps receiving. Events about the
   * patients concerned that arrive before the lookup is done, or are still loading when the change
   * arrives, are judged after it (see `accessStep`), so they reach whoever is still entitled, and
   * only them.
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
      this.accessStep(room, null, async () => {
        room.relevance = await this.loadRelevance(tenantId);
      });
      return;
    }
    if (change.type === 'PERMISSIONS') {
      // Every grant of the tenant may have narrowed: nothing is delivered until each is looked up again.
      const everyone = [...room.subscribers];
      for (const subscriber of everyone) {
        subscriber.revokeAll();
      }
      this.accessStep(room, null, () => this.regrantAll(everyone));
      return;
    }
    const affected = [...room.subscribers].filter(
      (s) => (change.userId === null || s.userId === change.userId) && (!s.filter.patientIds || s.filter.patientIds.includes(change.patientId)),
    );
    for (const subscriber of affected) {
      subscriber.revoke(change.patientId);
    }
    if (affected.length === 0) return;
    const { patientId } = change;
    this.accessStep(room, patientId, () => this.recheck(affected, patientId));
  }

  /** Looks every grant of these subscribers up again (after the tenant's role permissions changed). */
  private async regrantAll(subscribers: readonly LiveSubscription[]): Promise<void> {
    for (const subscriber of subscribers) {
      try {
        const grants = await resolvePatientGrants(this.tenantEm(subscriber.access.actor!.tenantId), subscriber.access.actor!, this.now(), subscriber.filter.patientIds ?? undefined);
        if (subscriber.queue.isEnded) continue;
        for (const [patientId, grant] of grants) {
          subscriber.grant(patientId, grant);
          this.noteReview(subscriber, patientId, grant);
        }
      } catch (err) {
        this.logger.error({ err }, 'could not re-check a live subscriber after a permissions change');
      }
    }
  }

  /** Looks a patient's grant up again for subscribers whose access to her changed. */
  private async recheck(affected: readonly LiveSubscription[], patientId: string): Promise<void> {
    for (const subscriber of affected) {
      try {
        const grants = await resolvePatientGrants(this.tenantEm(subscriber.access.actor!.tenantId), subscriber.access.actor!, this.now(), [patientId]);
        const grant = grants.get(patientId);
        if (grant && !subscriber.queue.isEnded) {
          subscriber.grant(patientId, grant);
          this.noteReview(subscriber, patientId, grant);
        }
      } catch (err) {
        this.logger.error({ err }, 'could not re-check a live subscriber after an access change');
      }
    }
  }

  /**
   * Runs the replay of a subscriber whose live events are held (`beginReplay`), in the background.
   * If the database fails, the subscription ends with a retryable error: the client resumes with `since`.
   */
  private runReplay(tenantId: string, subscription: LiveSubscription): void {
    void this.replay(tenantId, subscription).catch((err: unknown) => {
      this.logger.warn({ err }, 'could not replay a live subscriber from the database');
      subscription.queue.fail(BusUnavailableError.live());
    });
  }

  /**
   * Sends a subscriber every entitled event of its stream after its `lastSeq`, from the database,
   * in cursor order, then switches it to live (`endReplay`). Paced by the reader: at most
   * `replayAhead` replayed events wait in its queue, so a backlog of any length never trips the
   * slow-consumer bound (the stall bound still applies to a reader that stops).
   */
  private async replay(tenantId: string, subscription: LiveSubscription): Promise<void> {
    const em = this.tenantEm(tenantId);
    const queue = subscription.queue;
    let after = subscription.lastSeq;
    for (;;) {
      const generation = subscription.replayGeneration;
      const page = await this.replayPage(em, tenantId, subscription, after);
      for (const { seq, item, wanted } of page.items) {
        if (queue.size >= subscription.replayAhead) await queue.whenAtMost(subscription.replayAhead - 1);
        if (queue.isEnded) return;
        // Checked at delivery, not at loading: access may have changed while the reader caught up.
        if (wanted()) subscription.deliver(seq, item);
      }
      if (queue.isEnded) return;
      after = Math.max(after, page.readThrough);
      em.clear();
      if (!page.full && subscription.endReplay(generation)) return;
    }
  }

  /**
   * One page of a subscriber's stream after cursor `after`: the events of its patients, each with
   * the check of whether it may still receive it, and how far the page read.
   */
  private async replayPage(
    em: EntityManager,
    tenantId: string,
    subscription: LiveSubscription,
    after: number,
  ): Promise<{ items: Array<{ seq: number; item: LiveItem; wanted: () => boolean }>; readThrough: number; full: boolean }> {
    const patientIds = [...subscription.grants.keys()];
    if (patientIds.length === 0) return { items: [], readThrough: after, full: false };
    if (subscription.stream === 'ALERTS') {
      const page = await alertEventsAfter(em, tenantId, patientIds, after, REPLAY_PAGE);
      const items = page.events.map((loaded) => ({ seq: loaded.seq, item: loaded.event as LiveItem, wanted: () => subscription.wantsAlert(loaded) }));
      return { items, readThrough: page.lastSeq ?? after, full: page.full };
    }
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
    const items = rows.map((row) => {
      const view = new StatusUpdateView(row);
      return { seq: row.seq, item: { cursor: view.cursor, update: view } as LiveItem, wanted: () => subscription.wants(row.patientId, row.kind as StatusKind) };
    });
    return { items, readThrough: rows.at(-1)?.seq ?? after, full: rows.length === REPLAY_PAGE };
  }

  /**
   * After a bus outage, every subscriber catches up from the database: a paced replay while live
   * events are held, as for `since` (one already replaying queries once more before going live).
   */
  private catchUpAll(): void {
    for (const [tenantId, room] of this.rooms) {
      for (const subscription of room.subscribers) this.catchUp(tenantId, subscription);
    }
  }

  /** Replays a live subscriber from its last cursor (live events are held meanwhile), or makes the replay under way read again. */
  private catchUp(tenantId: string, subscription: LiveSubscription): void {
    if (subscription.beginReplay()) this.runReplay(tenantId, subscription);
  }
}

/** Whether a subscription (indexed under the event's patient) should receive the event; see `recipientsOf`. */
function receives(s: LiveSubscription, event: PublishedEvent): boolean {
  if (event.seq <= s.lastSeq) return false;
  return event.type === 'ALERT_CHANGED' ? s.stream === 'ALERTS' : s.wants(event.patientId, event.kind as StatusKind);
}
