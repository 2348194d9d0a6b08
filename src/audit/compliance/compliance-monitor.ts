import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppLogger } from '../../logger.js';
import type { EventBus } from '../../realtime/event-bus.js';
import { asTime, RememberedFacts, RuleEvaluation, type KnownFacts, type Raised, type StreamRow } from './compliance-evaluation.js';
import { addActorHours, addActorPatients, PRUNE_EVERY_MS, pruneRollups } from './compliance-rollups.js';
import { storedThresholds } from './compliance-rules.js';

/** Audit records evaluated per transaction. */
const BATCH = 500;
/** How often every tenant's stream is checked for unevaluated records, in milliseconds (a safety net; appends wake the monitor). */
const POLL_MS = 30_000;
/** How long a wake-up waits, gathering further appends, before the rules run (milliseconds). */
const WAKE_DELAY_MS = 1000;

/** The bus channel on which a tenant's new compliance events are announced (ids only). */
export const complianceChannel = (tenantId: string) => `tenant:${tenantId}:compliance`;

/**
 * Runs the compliance rules (see `compliance-rules.ts`) over each tenant's audit stream, in order,
 * from a durable cursor (`compliance_monitor.audit_seq`): each batch of records is evaluated and
 * its events stored in the transaction that moves the cursor, under the cursor's row lock, so
 * every record is evaluated once even with several instances, and none is skipped after a crash.
 * Woken by each committed audit batch, and by a slow poll as a safety net. New events are announced
 * on the bus for the `complianceEvents` subscription.
 */
export class ComplianceMonitor {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  /** What this instance has established for the rules (see {@link KnownFacts}). */
  private readonly known: KnownFacts = { teamMembers: new RememberedFacts(200_000), usualHours: new RememberedFacts(100_000) };
  /** When this instance last pruned each tenant's rollups (see {@link pruneRollups}), by the stream's clock. */
  private readonly prunedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly logger: AppLogger,
    private readonly now: () => number,
  ) {}

  /** Starts the safety-net poll. */
  start(): void {
    this.timer = setInterval(() => void this.pollAll(), POLL_MS);
    this.timer.unref();
  }

  /** Stops the poll and waits for runs in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.settle();
  }

  /**
   * Evaluates a tenant's new audit records soon: after {@link WAKE_DELAY_MS}, so a burst of
   * appends (a live event reaching a whole unit is one record per subscriber) is read as a few
   * batches, not one per commit; coalesced with a run in progress.
   */
  wake(tenantId: string): void {
    if (this.running.has(tenantId)) {
      this.again.add(tenantId);
      return;
    }
    if (this.scheduled.has(tenantId)) return;
    const timer = setTimeout(() => this.runNow(tenantId), WAKE_DELAY_MS);
    timer.unref();
    this.scheduled.set(tenantId, timer);
  }

  private runNow(tenantId: string): void {
    const timer = this.scheduled.get(tenantId);
    if (timer) clearTimeout(timer);
    this.scheduled.delete(tenantId);
    if (this.running.has(tenantId)) {
      this.again.add(tenantId);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(tenantId);
        try {
          while ((await this.evaluateBatch(tenantId)) === BATCH);
        } catch (err) {
          this.logger.error({ err, tenantId }, 'compliance evaluation failed');
        }
      } while (this.again.has(tenantId));
      this.running.delete(tenantId);
    })();
    this.running.set(tenantId, run);
  }

  /** Runs every scheduled evaluation now and waits until none is running or pending (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.running.size > 0 || this.scheduled.size > 0) {
      for (const tenantId of [...this.scheduled.keys()]) this.runNow(tenantId);
      await Promise.allSettled([...this.running.values()]);
    }
  }

  private async pollAll(): Promise<void> {
    try {
      const behind = await this.orm.em.fork().execute<Array<{ tenant_id: string }>>(
        `select h."tenant_id" from "audit_chain_head" h left join "compliance_monitor" m on m."tenant_id" = h."tenant_id"
         where h."seq" > coalesce(m."audit_seq", 0)`,
      );
      for (const row of behind) this.wake(row.tenant_id);
    } catch (err) {
      this.logger.warn({ err }, 'compliance poll failed');
    }
  }

  /** Evaluates up to one batch of a tenant's unevaluated records; returns how many it read. */
  private async evaluateBatch(tenantId: string): Promise<number> {
    let raisedCount = 0;
    let prunedThrough: number | null = null;
    const read = await this.orm.em.fork().transactional(async (tx): Promise<number> => {
      await tx.execute(`insert into "compliance_monitor" ("tenant_id") values (?) on conflict do nothing`, [tenantId]);
      const [cursor] = await tx.execute<Array<{ audit_seq: string; event_seq: string }>>(
        `select "audit_seq", "event_seq" from "compliance_monitor" where "tenant_id" = ? for update`,
        [tenantId],
      );
      const rows = await tx.execute<StreamRow[]>(
        `select "seq", "actor_type", "actor_id", "actor_role", "patient_id", "action", "purpose", "outcome", "request_id", "details",
           ((extract(epoch from "occurred_at") * 1000)::bigint)::text as "occurred_ms"
         from "audit_event" where "tenant_id" = ? and "seq" > ? and "seq" <= ? order by "seq"`,
        // A tenant's sequence numbers are consecutive, so the next batch is a closed range: read
        // as such whatever the planner believes about the table (a bare "order by … limit" over a
        // fast-growing trail whose statistics lag was planned as a read of everything after the cursor).
        [tenantId, cursor!.audit_seq, String(Number(cursor!.audit_seq) + BATCH)],
      );
      if (rows.length === 0) return 0;
      const [settings] = await tx.execute<Array<{ thresholds: unknown }>>(`select "thresholds" from "compliance_settings" where "tenant_id" = ?`, [tenantId]);
      const thresholds = storedThresholds(typeof settings?.thresholds === 'string' ? JSON.parse(settings.thresholds) : settings?.thresholds);
      let eventSeq = Number(cursor!.event_seq);
      const store = async (event: Raised) => {
        eventSeq += 1;
        raisedCount += 1;
        await tx.execute(
          `insert into "compliance_event" ("id", "tenant_id", "seq", "rule", "actor_id", "patient_id", "audit_seq", "details", "occurred_at", "created_at")
           values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
          [crypto.randomUUID(), tenantId, String(eventSeq), event.rule, event.actorId, event.patientId, event.auditSeq, JSON.stringify(event.details), asTime(event.occurredMs), asTime(this.now())],
        );
      };
      await addActorHours(tx, tenantId, rows);
      await addActorPatients(tx, tenantId, rows);
      await new RuleEvaluation(tx, tenantId, thresholds, store, this.known).run(rows);
      const earliest = Math.min(...rows.map((row) => Number(row.occurred_ms)));
      if (earliest - (this.prunedAt.get(tenantId) ?? -Infinity) >= PRUNE_EVERY_MS) {
        await pruneRollups(tx, tenantId, earliest);
        prunedThrough = earliest;
      }
      await tx.execute(`update "compliance_monitor" set "audit_seq" = ?, "event_seq" = ? where "tenant_id" = ?`, [rows.at(-1)!.seq, String(eventSeq), tenantId]);
      return rows.length;
    });
    if (prunedThrough !== null) this.prunedAt.set(tenantId, prunedThrough);
    if (raisedCount > 0) {
      await this.bus.publish(complianceChannel(tenantId), JSON.stringify({ tenantId })).catch((err: unknown) => this.logger.warn({ err }, 'compliance announce failed'));
    }
    return read;
  }
}
