import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppLogger } from '../logger.js';

/** A tenant whose event stream has something to evaluate. */
export interface TenantStream {
  readonly tenantId: string;
  /** False for a tenant created after the migration that no worker has set up yet (no `alerting_cursor` row). */
  readonly hasCursor: boolean;
}

/** What the alerting worker has to do now, read at the start of a pass. */
export interface DueWork {
  /** Tenants with events past their cursor, and tenants without a cursor yet. */
  readonly streams: readonly TenantStream[];
  /** The earliest due time of a protocol schedule (ms since the epoch), or null when none exists. */
  readonly scheduleDueAt: number | null;
  /** The earliest due time of a pending escalation job (ms since the epoch), or null when none is pending. */
  readonly escalationDueAt: number | null;
}

/** Whether something due at `dueAt` (null: nothing) is due at `now`. */
export function isDue(dueAt: number | null, now: number): boolean {
  return dueAt !== null && dueAt <= now;
}

function millis(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}

/**
 * Reads, in one statement, everything a pass of the alerting worker needs to decide what to run:
 * the tenants with unevaluated events (or no cursor yet), and the next due times of protocol
 * schedules and escalation jobs (both on indexes), so an idle pass costs this one statement
 * instead of a scan of every stream and a transaction per runner.
 */
export async function readDueWork(em: EntityManager): Promise<DueWork> {
  const rows = await em.execute<{ schedule_due: string | number | null; escalation_due: string | number | null; tenant_id: string | null; has_cursor: boolean | null }[]>(
    `select d.schedule_due, d.escalation_due, s.tenant_id, s.has_cursor
     from (select (select floor(extract(epoch from min(due_at)) * 1000) from protocol_schedule) as schedule_due,
                  (select floor(extract(epoch from min(due_at)) * 1000) from escalation_job where done_at is null) as escalation_due) d
     left join (select t.id as tenant_id, c.tenant_id is not null as has_cursor
                from tenant t left join alerting_cursor c on c.tenant_id = t.id
                where c.tenant_id is null or t.event_seq > c.last_seq) s on true`,
  );
  const first = rows[0];
  return {
    streams: rows.filter((r) => r.tenant_id !== null).map((r) => ({ tenantId: r.tenant_id!, hasCursor: r.has_cursor === true })),
    scheduleDueAt: millis(first?.schedule_due ?? null),
    escalationDueAt: millis(first?.escalation_due ?? null),
  };
}

/** How a pass drains one kind of durable job (see {@link drainDueJobs}). */
export interface DrainOptions {
  /** Most jobs taken in one pass, so a backlog (after an outage) yields to other work between passes. */
  readonly limit: number;
  /** Whether the worker is stopping: the pass ends between transactions. */
  readonly stopping: () => boolean;
  readonly logger: AppLogger;
  /** Logged (with the error) when taking a job fails; the job stays due and the next pass retries it. */
  readonly failure: string;
}

/**
 * Takes durable jobs (escalation pages, protocol schedules) one transaction at a time until none is
 * due, the pass's limit is reached or the worker is stopping. `takeNext` runs one transaction: it
 * returns null when nothing was due, otherwise whether the job counts (a page sent, a schedule run;
 * a cancelled page does not). A failure ends the pass. Returns how many jobs counted.
 */
export async function drainDueJobs(takeNext: () => Promise<boolean | null>, options: DrainOptions): Promise<number> {
  let counted = 0;
  for (let i = 0; i < options.limit; i++) {
    if (options.stopping()) return counted;
    let outcome: boolean | null;
    try {
      outcome = await takeNext();
    } catch (err) {
      options.logger.error({ err }, options.failure);
      return counted;
    }
    if (outcome === null) return counted;
    if (outcome) counted += 1;
  }
  return counted;
}
