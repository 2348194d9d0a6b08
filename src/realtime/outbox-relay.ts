import type { MikroORM } from '@mikro-orm/postgresql';
import { OutageBackoff } from '../db/outage-backoff.js';
import type { AppLogger } from '../logger.js';
import { Channels, type EventBus } from './event-bus.js';
import type { LiveMetrics } from './live-metrics.js';

/** What the relay publishes for each committed outbox row: ids and the cursor, never PHI. */
export interface PublishedEvent {
  readonly tenantId: string;
  readonly seq: number;
  readonly type: string;
  readonly patientId: string;
  readonly subjectId: string;
  readonly kind: string;
  /** When the event was written, in milliseconds since the epoch (for delivery-lag metrics). */
  readonly committedAt: number;
}

/** Arbitrary constant naming the advisory lock that makes one relay publish at a time across instances. */
const RELAY_LOCK_KEY = 0x43_52_44_4c; // "CRDL"
const BATCH_SIZE = 200;
/** Longest pause between polls while publishing fails, in milliseconds. */
const MAX_BACKOFF_MS = 5000;

interface OutboxRow {
  id: string | number;
  tenant_id: string;
  seq: string | number;
  type: string;
  patient_id: string;
  subject_id: string;
  kind: string;
  created_ms: string | number;
}

/**
 * Publishes committed outbox rows to the bus, in cursor order, and stamps them published in the
 * same transaction. Each tenant's rows of a batch go out as one message: a JSON array of
 * {@link PublishedEvent} in cursor order. If the bus refuses (Redis down), the transaction rolls back and the rows are
 * retried on the next wake-up or poll, so an acknowledged write is never lost; a row may then be
 * published twice, which subscribers drop by cursor.
 *
 * One relay runs per server instance; a transaction-scoped advisory lock lets only one of them
 * publish at a time, which keeps each tenant's events in cursor order on the bus.
 *
 * While the database or the bus is down, polls back off (doubling up to {@link MAX_BACKOFF_MS});
 * a wake-up after a committed write still tries at once.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Paces polls while passes fail (an outage is logged once, and its end once). */
  private readonly backoff: OutageBackoff;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly logger: AppLogger,
    private readonly pollMs: number,
    private readonly metrics: LiveMetrics,
  ) {
    this.backoff = new OutageBackoff(pollMs, Math.max(pollMs, MAX_BACKOFF_MS));
  }

  /** Starts polling (a safety net for events written by other instances or missed wake-ups). */
  start(): void {
    this.timer = setInterval(() => {
      if (this.backoff.ready) this.wake();
    }, this.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Asks the relay to publish now; called after a transaction that wrote outbox rows commits. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when everything committed so far has been published (tests and shutdown use it). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    await this.drain();
  }

  /** Stops polling and waits for a publish in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.publishBatch()) === BATCH_SIZE);
      if (this.backoff.succeeded()) this.logger.info('outbox relay is publishing again');
    } catch (err) {
      this.metrics.relayFailures.inc();
      if (this.backoff.failed()) {
        this.logger.warn({ err }, 'outbox relay could not publish; will retry');
      } else {
        this.logger.debug({ err }, 'outbox relay still cannot publish');
      }
    }
  }

  /** Publishes one batch; returns how many rows it published. */
  private async publishBatch(): Promise<number> {
    const em = this.orm.em.fork();
    return em.transactional(async (tx) => {
      const [lock] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [RELAY_LOCK_KEY]);
      if (!lock?.locked) return 0;
      const rows = await tx.execute<OutboxRow[]>(
        `select id, tenant_id, seq, type, patient_id, subject_id, kind, (extract(epoch from created_at) * 1000)::bigint as created_ms from outbox_event
         where published_at is null order by tenant_id, seq limit ? for update`,
        [BATCH_SIZE],
      );
      // One message per tenant and batch (rows come ordered by tenant, then cursor): an instance
      // receives a burst of commits in one message and loads its updates with one query, instead of
      // one message, one query and one transaction per event.
      let tenantEvents: PublishedEvent[] = [];
      for (const [index, row] of rows.entries()) {
        tenantEvents.push({
          tenantId: row.tenant_id,
          seq: Number(row.seq),
          type: row.type,
          patientId: row.patient_id,
          subjectId: row.subject_id,
          kind: row.kind,
          committedAt: Number(row.created_ms),
        });
        if (rows[index + 1]?.tenant_id !== row.tenant_id) {
          await this.bus.publish(Channels.tenantEvents(row.tenant_id), JSON.stringify(tenantEvents));
          tenantEvents = [];
        }
      }
      this.metrics.eventsPublished.inc(rows.length);
      if (rows.length > 0) {
        await tx.execute('update outbox_event set published_at = now() where id in (?)', [rows.map((r) => String(r.id))]);
      }
      return rows.length;
    });
  }
}
