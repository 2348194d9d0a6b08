import type { MikroORM } from '@mikro-orm/postgresql';
import type { MessagingConfig } from '../../config.js';
import type { AppLogger } from '../../logger.js';
import { tenantScopedEm } from '../../db/tenant-scope.js';
import { BoundedQueue, type QueueBounds } from '../../realtime/bounded-queue.js';
import { Channels, type EventBus } from '../../realtime/event-bus.js';
import { BusUnavailableError } from '../../errors.js';
import { PreKeyCountView } from '../../schema/messaging/device.type.js';
import type { EnvelopeView } from '../../schema/messaging/envelope.type.js';
import { loadEnvelopes, purgeExpiredEnvelopes } from './mailbox.service.js';
import type { MailboxNews } from './mailbox-news.js';

/** Envelopes loaded per query when replaying or catching up. */
const PAGE = 200;

/** One open `inbox` subscription of a device on this instance. */
interface InboxListener {
  readonly kind: 'inbox';
  /** Highest sequence number delivered; sequence order is commit order per device, so this is gap-free. */
  lastSeq: number;
  readonly queue: BoundedQueue<EnvelopeView>;
  /** More envelopes wait in the table than the queue could take; the reader's next reads fetch them. */
  behind: boolean;
}

/**
 * The iterator graphql-ws reads an inbox from: the bounded queue, plus a callback on every read so
 * a long backlog is fed from the table as the reader makes room (never more than the queue holds).
 */
class InboxStream implements AsyncIterableIterator<EnvelopeView> {
  constructor(
    private readonly queue: BoundedQueue<EnvelopeView>,
    private readonly onRead: () => void,
  ) {}

  next(): Promise<IteratorResult<EnvelopeView>> {
    const result = this.queue.next();
    this.onRead();
    return result;
  }

  return(): Promise<IteratorResult<EnvelopeView>> {
    return this.queue.return();
  }

  throw(error?: unknown): Promise<IteratorResult<EnvelopeView>> {
    return this.queue.throw(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** One open `preKeysLow` subscription of a device on this instance. */
interface PreKeyListener {
  readonly kind: 'prekeys';
  readonly deviceId: number;
  readonly queue: BoundedQueue<PreKeyCountView>;
}

type Listener = InboxListener | PreKeyListener;

/** The listeners of one tenant's devices on this instance, and its bus subscription. */
interface TenantRoom {
  readonly tenantId: string;
  readonly devices: Map<string, Set<Listener>>;
  readonly joined: Promise<void>;
  unsubscribe: (() => Promise<void>) | null;
}

/** The device a subscription is for (already checked to be the caller's). */
export interface OwnedDevice {
  readonly pk: string;
  readonly tenantId: string;
  readonly deviceId: number;
}

/**
 * Live delivery of the mailbox on this instance: `inbox` subscriptions get their device's envelopes
 * (replayed from the table first, then live), `preKeysLow` subscriptions hear when their device's
 * one-time prekeys run low. One bus subscription per tenant with listeners here; the bus carries ids
 * only, and every delivery loads from the table what is newer than the listener's last sequence
 * number, so a missed or reordered bus message loses nothing. After a bus outage every inbox catches
 * up from the table. Work for one device runs in order (one promise chain per device).
 *
 * It also runs the periodic purge of envelopes older than the retention, on the injected clock.
 */
export class MailboxHub {
  private readonly rooms = new Map<string, TenantRoom>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly detachReconnect: () => void;
  private readonly purgeTimer: NodeJS.Timeout;
  private readonly stallSweep: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly logger: AppLogger,
    private readonly bounds: QueueBounds,
    private readonly config: MessagingConfig,
    private readonly now: () => number,
  ) {
    this.detachReconnect = bus.onReconnect(() => this.catchUpAll());
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch((err: unknown) => this.logger.error({ err }, 'mailbox purge failed')), config.purgeIntervalMs);
    this.purgeTimer.unref();
    this.stallSweep = setInterval(() => this.sweepStalled(), Math.max(50, Math.min(1000, bounds.maxLagMs / 2)));
    this.stallSweep.unref();
  }

  /** The oldest server timestamp still within the retention, at the injected clock's now. */
  retentionCutoff(): Date {
    return new Date(this.now() - this.config.retentionMs);
  }

  /** Deletes envelopes older than the retention (run periodically; callable on demand). Returns how many. */
  async purgeExpired(): Promise<number> {
    const purged = await purgeExpiredEnvelopes(this.orm.em.fork(), this.retentionCutoff());
    if (purged > 0) this.logger.info({ purged }, 'purged expired mailbox envelopes');
    return purged;
  }

  /** Opens a device's inbox: envelopes after `sinceSeq` (all pending when null) from the table, then live ones. */
  async openInbox(device: OwnedDevice, sinceSeq: number | null, onOverflow: () => void): Promise<AsyncIterableIterator<EnvelopeView>> {
    let listener!: InboxListener;
    const queue = new BoundedQueue<EnvelopeView>(this.bounds, onOverflow, () => this.leave(device, listener));
    listener = { kind: 'inbox', lastSeq: sinceSeq ?? 0, queue, behind: false };
    await this.join(device, listener);
    this.inOrder(device.pk, () => this.deliverNew(device.tenantId, device.pk, [listener]));
    return new InboxStream(queue, () => {
      if (listener.behind && queue.size <= this.backlogBatch / 2 && !queue.isEnded) {
        listener.behind = false;
        this.inOrder(device.pk, () => this.deliverNew(device.tenantId, device.pk, [listener]));
      }
    });
  }

  /** Most envelopes handed to one inbox's queue ahead of its reader (half the queue's bound). */
  private get backlogBatch(): number {
    return Math.max(1, Math.floor(this.bounds.maxItems / 2));
  }

  /** Opens a device's low-prekey alerts: one at once if the device is already low, then one each time a claim leaves it low. */
  async openPreKeyAlerts(device: OwnedDevice, onOverflow: () => void): Promise<AsyncIterableIterator<PreKeyCountView>> {
    let listener!: PreKeyListener;
    const queue = new BoundedQueue<PreKeyCountView>(this.bounds, onOverflow, () => this.leave(device, listener));
    listener = { kind: 'prekeys', deviceId: device.deviceId, queue };
    await this.join(device, listener);
    this.inOrder(device.pk, () => this.alertIfLow(device.pk, [listener]));
    return queue;
  }

  /** Ends every subscription and the bus subscriptions. */
  async close(): Promise<void> {
    this.detachReconnect();
    clearInterval(this.purgeTimer);
    clearInterval(this.stallSweep);
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    for (const room of rooms) {
      for (const listeners of room.devices.values()) for (const l of listeners) l.queue.end();
      await room.joined.catch(() => undefined);
      await room.unsubscribe?.().catch(() => undefined);
    }
  }

  /** How many inbox and alert subscriptions this instance holds (tests wait on it). */
  get subscriptionCount(): number {
    let count = 0;
    for (const room of this.rooms.values()) for (const listeners of room.devices.values()) count += listeners.size;
    return count;
  }

  private async join(device: OwnedDevice, listener: Listener): Promise<void> {
    const room = this.roomOf(device.tenantId);
    let listeners = room.devices.get(device.pk);
    if (!listeners) room.devices.set(device.pk, (listeners = new Set()));
    listeners.add(listener);
    try {
      await room.joined;
    } catch {
      listener.queue.end();
      throw BusUnavailableError.live();
    }
  }

  private roomOf(tenantId: string): TenantRoom {
    const existing = this.rooms.get(tenantId);
    if (existing) return existing;
    const room: TenantRoom = { tenantId, devices: new Map(), joined: Promise.resolve(), unsubscribe: null };
    (room as { joined: Promise<void> }).joined = this.bus.subscribe(Channels.tenantMailbox(tenantId), (message) => this.onNews(room, message)).then((u) => {
      room.unsubscribe = u;
    });
    room.joined.catch(() => {
      if (this.rooms.get(tenantId) === room) this.rooms.delete(tenantId);
    });
    this.rooms.set(tenantId, room);
    return room;
  }

  private leave(device: OwnedDevice, listener: Listener): void {
    const room = this.rooms.get(device.tenantId);
    const listeners = room?.devices.get(device.pk);
    if (!room || !listeners) return;
    listeners.delete(listener);
    if (listeners.size === 0) room.devices.delete(device.pk);
    if (room.devices.size === 0) {
      this.rooms.delete(device.tenantId);
      void room.joined.then(() => room.unsubscribe?.()).catch(() => undefined);
    }
  }

  private onNews(room: TenantRoom, message: string): void {
    let news: MailboxNews;
    try {
      news = JSON.parse(message) as MailboxNews;
    } catch {
      this.logger.warn('ignored a malformed mailbox message');
      return;
    }
    if (news.type === 'ENVELOPES') {
      for (const { devicePk } of news.devices) {
        const inboxes = [...(room.devices.get(devicePk) ?? [])].filter((l): l is InboxListener => l.kind === 'inbox');
        if (inboxes.length > 0) this.inOrder(devicePk, () => this.deliverNew(room.tenantId, devicePk, inboxes));
      }
    } else if (news.type === 'PREKEYS_LOW') {
      const alerts = [...(room.devices.get(news.devicePk) ?? [])].filter((l): l is PreKeyListener => l.kind === 'prekeys');
      if (alerts.length > 0) this.inOrder(news.devicePk, () => this.alertIfLow(news.devicePk, alerts));
    } else if (news.type === 'DEVICE_REMOVED') {
      for (const listener of [...(room.devices.get(news.devicePk) ?? [])]) listener.queue.end();
    }
  }

  /** Runs `step` after every earlier step for the same device. */
  private inOrder(devicePk: string, step: () => Promise<void>): void {
    const tail = (this.chains.get(devicePk) ?? Promise.resolve()).then(step).catch((err: unknown) => {
      this.logger.error({ err }, 'mailbox delivery step failed');
    });
    this.chains.set(devicePk, tail);
    void tail.then(() => {
      if (this.chains.get(devicePk) === tail) this.chains.delete(devicePk);
    });
  }

  /**
   * Delivers, from the table, unexpired envelopes newer than each listener's last one, as many as
   * its queue may hold ahead of the reader; a listener left with more to fetch is marked `behind`
   * and fed again as it reads.
   */
  private async deliverNew(tenantId: string, devicePk: string, listeners: readonly InboxListener[]): Promise<void> {
    // Behind row-level security, like a request of the tenant: only its own envelopes can be read here.
    const em = tenantScopedEm(this.orm.em, tenantId);
    const batch = this.backlogBatch;
    for (;;) {
      const open = listeners.filter((l) => !l.queue.isEnded && !l.behind);
      if (open.length === 0) return;
      const after = Math.min(...open.map((l) => l.lastSeq));
      const rows = await loadEnvelopes(em, devicePk, after, this.retentionCutoff(), Math.min(PAGE, batch));
      for (const { seq, view } of rows) {
        for (const listener of open) {
          if (seq <= listener.lastSeq || listener.queue.isEnded || listener.behind) continue;
          if (listener.queue.size >= batch) {
            listener.behind = true;
            continue;
          }
          listener.lastSeq = seq;
          listener.queue.push(view);
        }
      }
      if (rows.length < Math.min(PAGE, batch)) return;
      em.clear();
    }
  }

  private async alertIfLow(devicePk: string, listeners: readonly PreKeyListener[]): Promise<void> {
    const [row] = await this.orm.em.fork().execute<Array<{ ec: string | number; kem: string | number }>>(
      `select (select count(*) from "messaging_pre_key" where "device_pk" = ?) as "ec",
              (select count(*) from "messaging_kyber_pre_key" where "device_pk" = ?) as "kem"`,
      [devicePk, devicePk],
    );
    for (const listener of listeners) {
      const view = new PreKeyCountView({ deviceId: listener.deviceId, preKeys: Number(row!.ec), kyberPreKeys: Number(row!.kem) }, this.config.lowPreKeyThreshold);
      if (view.low && !listener.queue.isEnded) listener.queue.push(view);
    }
  }

  private catchUpAll(): void {
    for (const room of this.rooms.values()) {
      for (const [devicePk, listeners] of room.devices) {
        const inboxes = [...listeners].filter((l): l is InboxListener => l.kind === 'inbox');
        if (inboxes.length > 0) this.inOrder(devicePk, () => this.deliverNew(room.tenantId, devicePk, inboxes));
      }
    }
  }

  private sweepStalled(): void {
    for (const room of this.rooms.values()) for (const listeners of room.devices.values()) for (const l of listeners) l.queue.checkStall();
  }
}
