import type { MikroORM } from '@mikro-orm/postgresql';
import type { AuditSink } from '../audit/audit-entry.js';
import { isDatabaseUnavailable } from '../db/database-unavailable.js';
import { OutageBackoff } from '../db/outage-backoff.js';
import type { AppLogger } from '../logger.js';
import type { OutboxRelay } from '../realtime/outbox-relay.js';
import { AlertAuditTrail } from './alert-audit.js';
import type { AlertChanges } from './alert-changes.js';
import { isDue, readDueWork, type DueWork } from './due-work.js';
import { EscalationRunner } from './escalation-runner.js';
import { EventEvaluator } from './event-evaluator.js';
import { ScheduleRunner } from './schedule-runner.js';

/** Longest pause between polls while the database is unreachable, in milliseconds. */
const MAX_BACKOFF_MS = 5000;

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
 * While the database is unreachable, polls back off (doubling up to {@link MAX_BACKOFF_MS}) and the
 * outage is logged once; work that came due meanwhile runs on the first pass after it.
 *
 * Each pass starts with one statement ({@link readDueWork}) saying which tenants have events to
 * evaluate and when the next schedule and escalation job fall due; a runner with nothing due is not
 * run, so an idle pass costs that one statement.
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
  private readonly backoff: OutageBackoff;
  /** Whether alert changes committed during the pass in progress (they may have created escalation jobs). */
  private changedThisPass = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly relay: OutboxRelay,
    private readonly logger: AppLogger,
    private readonly now: () => number,
    private readonly pollMs: number,
    auditSink: AuditSink | null,
    /** Most events one tenant's turn evaluates (`CRADLE_ALERTING_PAGE_EVENTS`). */
    pageEvents?: number,
  ) {
    this.audit = new AlertAuditTrail(auditSink, logger);
    const committed = (changes: AlertChanges) => this.onCommitted(changes);
    const stopping = () => this.stopped;
    this.evaluator = new EventEvaluator(orm, logger, now, committed, stopping, pageEvents);
    this.escalations = new EscalationRunner(orm, logger, now, committed, stopping);
    this.schedules = new ScheduleRunner(orm, logger, now, committed, stopping);
    this.backoff = new OutageBackoff(pollMs, Math.max(pollMs, MAX_BACKOFF_MS));
  }

  /** Starts polling; the first pass runs at once (jobs that came due while the server was down fire now). */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => {
      if (this.backoff.ready) void this.runDue().catch(() => undefined);
    }, this.pollMs);
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
   * Runs passes now until nothing is left: evaluations, then scheduled protocols, then escalations.
   * If a pass is already running, waits for it and runs more, so everything committed before the
   * call is handled when it resolves. Each pass gives every tenant with pending events one turn
   * (see {@link EventEvaluator.runOnce}) and reads the due work afresh, so a backlog in one tenant
   * delays another tenant's alerts, and due pages, by one turn, not by the backlog.
   */
  async runDue(): Promise<AlertingPass> {
    while (this.running) await this.running.catch(() => undefined);
    if (this.stopped) return { evaluated: 0, scheduled: 0, paged: 0 };
    this.running = this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Passes until one leaves no tenant with more to evaluate (or the worker stops); their sums. */
  private async drain(): Promise<AlertingPass> {
    const total = { evaluated: 0, scheduled: 0, paged: 0 };
    for (;;) {
      const { more, ...pass } = await this.pass();
      total.evaluated += pass.evaluated;
      total.scheduled += pass.scheduled;
      total.paged += pass.paged;
      if (!more || this.stopped) return total;
    }
  }

  private async pass(): Promise<AlertingPass & { more: boolean }> {
    this.changedThisPass = false;
    let due: DueWork | null = null;
    let evaluated = 0;
    let more = false;
    try {
      due = await readDueWork(this.orm.em.fork());
      ({ evaluated, more } = await this.evaluator.runOnce(due.streams));
      if (this.backoff.succeeded()) this.logger.info('the alerting worker reaches the database again');
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // The other runners would fail the same way: try again after a pause.
        if (this.backoff.failed()) this.logger.warn({ err }, 'the alerting worker cannot reach the database; will retry');
        return { evaluated: 0, scheduled: 0, paged: 0, more: false };
      }
      this.logger.error({ err }, 'the alerting worker could not read the event stream; will retry');
    }
    // Without the due times (an unexpected failure), each runner looks for itself.
    const now = this.now();
    const scheduled = !due || isDue(due.scheduleDueAt, now) ? await this.schedules.runOnce() : 0;
    const paged = !due || isDue(due.escalationDueAt, now) || this.changedThisPass ? await this.escalations.runOnce() : 0;
    return { evaluated, scheduled, paged, more };
  }

  /** After a unit of alert changes commits: wake the relay for live delivery, then audit its steps. */
  onCommitted(changes: AlertChanges): void {
    this.changedThisPass = true;
    if (changes.announced) this.relay.wake();
    void this.audit.record(changes.audit);
  }
}
