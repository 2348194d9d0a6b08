import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventBus } from '../../realtime/event-bus.js';
import { complianceChannel } from './compliance-monitor.js';
import type { ComplianceRule } from './compliance-rules.js';

/** A stored compliance event (ids and counts only). */
export interface ComplianceEventRecord {
  readonly id: string;
  readonly seq: number;
  readonly rule: ComplianceRule;
  readonly actorId: string | null;
  readonly patientId: string | null;
  readonly auditSeq: number;
  readonly details: Record<string, unknown>;
  readonly occurredAt: Date;
}

interface Row {
  id: string;
  seq: string;
  rule: ComplianceRule;
  actor_id: string | null;
  patient_id: string | null;
  audit_seq: string;
  details: Record<string, unknown> | string;
  occurred_ms: string;
}

const COLUMNS = `"id", "seq", "rule", "actor_id", "patient_id", "audit_seq", "details", ((extract(epoch from "occurred_at") * 1000)::bigint)::text as "occurred_ms"`;

function toRecord(row: Row): ComplianceEventRecord {
  return {
    id: row.id,
    seq: Number(row.seq),
    rule: row.rule,
    actorId: row.actor_id,
    patientId: row.patient_id,
    auditSeq: Number(row.audit_seq),
    details: typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
    occurredAt: new Date(Number(row.occurred_ms)),
  };
}

/** A tenant's compliance events after `afterSeq`, oldest first. */
export async function complianceEventsAfter(em: EntityManager, tenantId: string, afterSeq: number, limit: number): Promise<ComplianceEventRecord[]> {
  const rows = await em.execute<Row[]>(`select ${COLUMNS} from "compliance_event" where "tenant_id" = ? and "seq" > ? order by "seq" limit ${limit}`, [
    tenantId,
    String(afterSeq),
  ]);
  return rows.map(toRecord);
}

/** A tenant's compliance events before `beforeSeq` (or the newest), newest first. */
export async function complianceEventsBefore(em: EntityManager, tenantId: string, beforeSeq: number | null, limit: number): Promise<ComplianceEventRecord[]> {
  const rows = await em.execute<Row[]>(
    `select ${COLUMNS} from "compliance_event" where "tenant_id" = ? ${beforeSeq === null ? '' : 'and "seq" < ?'} order by "seq" desc limit ${limit}`,
    beforeSeq === null ? [tenantId] : [tenantId, String(beforeSeq)],
  );
  return rows.map(toRecord);
}

/** The newest compliance event's seq of a tenant (0 when none). */
export async function latestComplianceSeq(em: EntityManager, tenantId: string): Promise<number> {
  const [row] = await em.execute<Array<{ seq: string | null }>>(`select max("seq") as "seq" from "compliance_event" where "tenant_id" = ?`, [tenantId]);
  return Number(row?.seq ?? 0);
}

/**
 * A live stream of a tenant's compliance events: everything after `sinceSeq` from PostgreSQL, then
 * each new event as the monitor announces it on the bus (the announcement only wakes the stream,
 * which reads by cursor, so nothing is missed or repeated). Ending it (`return`) unsubscribes at once.
 */
export class ComplianceEventStream implements AsyncIterableIterator<ComplianceEventRecord> {
  private buffer: ComplianceEventRecord[] = [];
  private closed = false;
  private woken = false;
  private waiter: (() => void) | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;

  private constructor(
    private readonly em: () => EntityManager,
    private readonly tenantId: string,
    private lastSeq: number,
  ) {}

  /** Opens a stream after `sinceSeq` (null: from now on); subscribes to the announcements before the first read. */
  static async open(bus: EventBus, em: () => EntityManager, tenantId: string, sinceSeq: number | null): Promise<ComplianceEventStream> {
    const start = sinceSeq ?? (await latestComplianceSeq(em(), tenantId));
    const stream = new ComplianceEventStream(em, tenantId, start);
    stream.unsubscribe = await bus.subscribe(complianceChannel(tenantId), () => stream.wake());
    stream.woken = true;
    return stream;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<ComplianceEventRecord>> {
    while (!this.closed) {
      const item = this.buffer.shift();
      if (item) return { value: item, done: false };
      if (this.woken) {
        this.woken = false;
        this.buffer = await complianceEventsAfter(this.em(), this.tenantId, this.lastSeq, 100);
        if (this.buffer.length === 100) this.woken = true;
        this.lastSeq = this.buffer.at(-1)?.seq ?? this.lastSeq;
        continue;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<ComplianceEventRecord>> {
    this.closed = true;
    this.waiter?.();
    await this.unsubscribe?.();
    return { value: undefined, done: true };
  }

  private wake(): void {
    this.woken = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}
