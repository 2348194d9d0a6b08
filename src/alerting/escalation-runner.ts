import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Alert, ProtocolVersion } from '../db/entities/index.js';
import type { AppLogger } from '../logger.js';
import { AlertChanges } from './alert-changes.js';
import { drainDueJobs } from './due-work.js';
import type { CommittedChanges } from './event-evaluator.js';
import { definitionOf } from './protocol-catalog.js';

/** Most jobs fired in one pass, so a backlog (after an outage) yields to other work between passes. */
const MAX_JOBS_PER_PASS = 500;

/**
 * Fires due escalation jobs (`escalation_job`), each in its own transaction: the job is taken with
 * `FOR UPDATE SKIP LOCKED` (so with several instances each fires once), then its alert is locked
 * and re-read: an alert acknowledged or resolved meanwhile cancels the job instead of paging.
 * Paging records the step in the alert's history, announces it on the `alerts` subscription and
 * schedules the next step. Jobs live in PostgreSQL, so a restart loses none: a job that came due
 * while every instance was down fires on the next pass. Time is the injected clock.
 */
export class EscalationRunner {
  constructor(
    private readonly orm: MikroORM,
    private readonly logger: AppLogger,
    private readonly now: () => number,
    private readonly committed: CommittedChanges,
    /** Whether the worker is stopping: the pass ends between transactions. */
    private readonly stopping: () => boolean = () => false,
  ) {}

  /** Fires every job due now; returns how many pages were sent. */
  runOnce(): Promise<number> {
    return drainDueJobs(
      async () => {
        const outcome = await this.fireNext();
        return outcome === 'NONE' ? null : outcome === 'PAGED';
      },
      { limit: MAX_JOBS_PER_PASS, stopping: this.stopping, logger: this.logger, failure: 'an escalation job failed; will retry' },
    );
  }

  private async fireNext(): Promise<'NONE' | 'PAGED' | 'CANCELLED'> {
    const now = this.now();
    let changes: AlertChanges | null = null;
    const outcome = await this.orm.em.fork().transactional(async (tx) => {
      const [job] = await tx.execute<{ id: string; tenant_id: string; alert_id: string; step_index: number }[]>(
        `select id, tenant_id, alert_id, step_index from escalation_job
         where done_at is null and due_at <= ? order by due_at, id limit 1 for update skip locked`,
        [new Date(now)],
      );
      if (!job) return 'NONE' as const;
      const alert = await tx.findOne(Alert, { id: job.alert_id, tenantId: job.tenant_id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const version = alert ? await tx.findOne(ProtocolVersion, { id: alert.protocolVersionId }) : null;
      if (!alert || !version || alert.status !== 'OPEN') {
        await tx.execute('update escalation_job set done_at = ?, cancelled = true where id = ?', [new Date(now), job.id]);
        return 'CANCELLED' as const;
      }
      changes = new AlertChanges(tx, job.tenant_id, now);
      await changes.page(alert, definitionOf(version).escalation, Number(job.step_index));
      await tx.execute('update escalation_job set done_at = ? where id = ?', [new Date(now), job.id]);
      await changes.commit();
      return 'PAGED' as const;
    });
    if (changes) this.committed(changes);
    return outcome;
  }
}
