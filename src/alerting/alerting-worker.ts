import type { MikroORM } from '@mikro-orm/postgresql';
import type { AuditSink } from '../audit/audit-entry.js';
import type { AppLogger } from '../logger.js';
import type { OutboxRelay } from '../realtime/outbox-relay.js';
import { AlertAuditTrail } from './alert-audit.js';
import type { AlertChanges } from './alert-changes.js';
import { EscalationRunner } from './escalation-runner.js';
import { EventEvaluator } from './event-evaluator.js';
import { ScheduleRunner } from './schedule-runner.js';

/** What one pass of the worker did (tests and logs read it). */
export interface AlertingPass {
  /** Status updates evaluated against the protocols. */
  readonly evaluated: number;
  /** Scheduled protocol runs. */
  readonly scheduled: number;
  /** Escalation pages sent. */
  readonly paged: number;
}

/**
 * The alerting service's background work on one instance: evaluating committed status updates,
 * running due scheduled protocols and firing due escalation jobs, all from PostgreSQL and safe to
 * run on every instance at once (see each runner). It polls every `pollMs` (real time) and reads
 * the injected clock for what is due; `runDue()` runs one pass now (tests call it after moving
 * their clock). Committed changes wake the outbox relay (live delivery) and reach the audit trail.
 */
export class AlertingWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<AlertingPass> | null = null;
  private stopped = false;
  readonly evaluator: EventEvaluator;
  private readonly escalations: EscalationRunner;
  private readonly schedules: ScheduleRunner;
  /** Where every committed alert step goes for the audit trail. */
  readonly audit: AlertAuditTrail;

  constructor(
    orm: MikroORM,
    private readonly relay: OutboxRelay,
    private readonly logger: AppLogger,
    now: () => number,
    private readonly pollMs: number,
    auditSink: AuditSink | null,
  ) {
    this.audit = new AlertAuditTrail(auditSink, logger);
    const committed = (changes: AlertChanges) => this.onCommitted(changes);
    const stopping = () => this.stopped;
    this.evaluator = new EventEvaluator(orm, logger, now, committed, stopping);
    this.escalations = new EscalationRunner(orm, logger, now, committed, stopping);
    this.schedules = new ScheduleRunner(orm, logger, now, committed, stopping);
  }

  /** Starts polling; the first pass runs at once (jobs that came due while the server was down fire now). */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.runDue().catch(() => undefined), this.pollMs);
    this.timer.unref();
    void this.runDue().catch(() => undefined);
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * Runs one full pass now: evaluations, then scheduled protocols, then escalations. If a pass is
   * already running, waits for it and runs another, so everything committed before the call is
   * handled when it resolves.
   */
  async runDue(): Promise<AlertingPass> {
    while (this.running) await this.running.catch(() => undefined);
    if (this.stopped) return { evaluated: 0, scheduled: 0, paged: 0 };
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<AlertingPass> {
    let evaluated = 0;
    try {
      evaluated = await this.evaluator.runOnce();
    } catch (err) {
      this.logger.error({ err }, 'the alerting worker could not read the event stream; will retry');
    }
    const scheduled = await this.schedules.runOnce();
    const paged = await this.escalations.runOnce();
    return { evaluated, scheduled, paged };
  }

  /** After a unit of alert changes commits: wake the relay for live delivery, then audit its steps. */
  onCommitted(changes: AlertChanges): void {
    if (changes.announced) this.relay.wake();
    void this.audit.record(changes.audit);
  }
}
