import type { EntityManager } from '@mikro-orm/postgresql';
import {
  Alert, AlertEvidence, AlertHistory, EscalationJob, OutboxEvent, Tenant,
  type AlertHistoryAction, type AlertRecipients, type Role,
} from '../db/entities/index.js';
import type { AuditEntryInput } from '../audit/audit-entry.js';
import { escalationSteps } from '../protocols/escalation.js';
import type { EscalationChain, EscalationStep, Severity } from '../protocols/protocol.js';
import { pageTime, type QuietHours } from '../protocols/quiet-hours.js';

/** Who performed a step of an alert: a signed-in user, or the system (the engine, an escalation timer). */
export type AlertActor = { readonly userId: string; readonly role: Role } | null;

/**
 * Who an alert event is for: the care-team roles the alert is routed to, plus the targets of every
 * escalation step paged so far (steps `0..upToStep`). Each recipient must still hold a grant for
 * the patient that covers every category of the alert (checked at delivery, see `alertConcerns`).
 */
export function alertRecipients(routeTo: readonly string[], steps: readonly EscalationStep[], upToStep: number | null): AlertRecipients {
  const roles = new Set(routeTo);
  const userIds = new Set<string>();
  if (upToStep !== null) {
    for (const step of steps.slice(0, upToStep + 1)) {
      for (const target of step.tier.targets) {
        if (target.type === 'ROLE') roles.add(target.role);
        else userIds.add(target.userId);
      }
    }
  }
  return { roles: [...roles].sort(), userIds: [...userIds].sort() };
}

/**
 * The changes to alerts made inside one transaction: history steps, evidence, escalation jobs and
 * the ALERT_CHANGED outbox events that announce them. `commit` takes the tenant's next cursors
 * last, right before the flush, so the tenant row (which serialises every writer of the tenant,
 * patients logging included) is locked only for the final writes, never while rules evaluate.
 *
 * Every step is also collected as an audit entry; the caller hands them to the audit trail after
 * the transaction commits (see `alert-audit.ts`).
 */
export class AlertChanges {
  private readonly pending: Array<{ entry: AlertHistory; alert: Alert }> = [];
  readonly audit: AuditEntryInput[] = [];
  /** Whether this unit wrote outbox events (the caller then wakes the relay). */
  announced = false;
  /** The tenant's quiet hours once read (see {@link quietHours}). */
  private quiet: QuietHours | null | undefined;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: number,
  ) {}

  /**
   * Records one step of an alert's life (and its audit entry). `announce` makes it an ALERT_CHANGED
   * event on the `alerts` subscription for `recipients`; steps that need no one's attention (evidence
   * added to an alert already paged) are recorded only, to limit alert fatigue.
   */
  record(
    alert: Alert,
    action: AlertHistoryAction,
    actor: AlertActor,
    recipients: AlertRecipients,
    page: { step: number; round: number; tier: number } | null = null,
    announce = true,
  ): AlertHistory {
    const entry = this.em.create(AlertHistory, {
      id: crypto.randomUUID(),
      tenantId: this.tenantId,
      alertId: alert.id,
      patientId: alert.patientId,
      action,
      actorId: actor?.userId ?? null,
      actorRole: actor?.role ?? null,
      at: new Date(this.now),
      severity: String(alert.severity),
      escalationStep: page?.step ?? null,
      escalationRound: page?.round ?? null,
      escalationTier: page?.tier ?? null,
      seq: null,
      recipients: announce ? recipients : null,
    });
    if (announce) this.pending.push({ entry, alert });
    this.audit.push({
      tenantId: this.tenantId,
      actor: actor ? { type: 'USER', userId: actor.userId, role: actor.role } : { type: 'SYSTEM', component: 'alerting' },
      patientId: alert.patientId,
      action: `ALERT_${action}`,
      fields: [],
      purpose: 'TREATMENT',
      outcome: 'ALLOWED',
      requestId: null,
      clientIp: null,
      userAgent: null,
      details: {
        alertId: alert.id,
        protocolId: alert.protocolId,
        protocolVersionId: alert.protocolVersionId,
        severity: String(alert.severity),
        escalationStep: page?.step ?? null,
        escalationRound: page?.round ?? null,
        escalationTier: page?.tier ?? null,
      },
    });
    return entry;
  }

  /** Attaches status updates to an alert as evidence (ignoring ones already attached); returns how many were new. */
  async attachEvidence(alert: Alert, statusUpdateIds: readonly string[]): Promise<number> {
    const ids = [...new Set(statusUpdateIds)];
    if (ids.length === 0) return 0;
    const existing = await this.em.find(AlertEvidence, { alertId: alert.id, statusUpdateId: { $in: ids } }, { fields: ['statusUpdateId'] });
    const known = new Set(existing.map((e) => e.statusUpdateId));
    const fresh = ids.filter((id) => !known.has(id));
    for (const statusUpdateId of fresh) {
      this.em.create(AlertEvidence, { tenantId: this.tenantId, alertId: alert.id, statusUpdateId, addedAt: new Date(this.now) });
    }
    return fresh.length;
  }

  /**
   * Pages step `stepIndex` of the alert's escalation chain now: records the page (announced to the
   * step's targets and everyone paged before) and schedules the next step when its timeout passes.
   * During the tenant's quiet hours a non-critical alert's page is held instead: a PAGE_DEFERRED
   * step (recorded and audited, not announced) and a job that pages this same step when the quiet
   * hours end. A CRITICAL alert is never held (CLINICAL.md).
   */
  async page(alert: Alert, chain: EscalationChain | null, stepIndex: number): Promise<void> {
    const steps = chain ? escalationSteps(chain) : [];
    const step = steps[stepIndex];
    if (!step) return;
    const due = pageTime(await this.quietHours(), alert.severity as Severity, this.now);
    if (due > this.now) {
      this.record(alert, 'PAGE_DEFERRED', null, alertRecipients(alert.routeTo, steps, alert.escalationStep ?? null), {
        step: stepIndex,
        round: step.round,
        tier: step.tierIndex,
      }, false);
      this.schedule(alert, stepIndex, due);
      return;
    }
    alert.escalationStep = stepIndex;
    this.record(alert, 'PAGED', null, alertRecipients(alert.routeTo, steps, stepIndex), {
      step: stepIndex,
      round: step.round,
      tier: step.tierIndex,
    });
    if (stepIndex + 1 < steps.length) this.schedule(alert, stepIndex + 1, this.now + step.tier.ackTimeoutMinutes * 60_000);
  }

  /** Stores the durable job that pages step `stepIndex` of the alert at `dueAt` (ms since the epoch). */
  private schedule(alert: Alert, stepIndex: number, dueAt: number): void {
    this.em.create(EscalationJob, {
      id: crypto.randomUUID(),
      tenantId: this.tenantId,
      alertId: alert.id,
      stepIndex,
      dueAt: new Date(dueAt),
      doneAt: null,
      cancelled: false,
    });
  }

  /** The tenant's quiet hours, read once per unit of changes (null when it has none). */
  private async quietHours(): Promise<QuietHours | null> {
    if (this.quiet === undefined) {
      const tenant = await this.em.findOne(Tenant, { id: this.tenantId }, { fields: ['quietHours'] });
      this.quiet = tenant?.quietHours ?? null;
    }
    return this.quiet;
  }

  /**
   * Cancels the alert's pending escalation jobs (acknowledgement, resolution, a restarted chain).
   * Jobs another transaction is firing right now are skipped rather than waited for: that
   * transaction re-reads the alert under its lock and stands down on its own.
   */
  async cancelPendingJobs(alertId: string): Promise<void> {
    await this.em.execute(
      `update escalation_job set done_at = ?, cancelled = true where id in (
         select id from escalation_job where alert_id = ? and done_at is null for update skip locked)`,
      [new Date(this.now), alertId],
    );
  }

  /** The recipients of a non-page step: the alert's routing plus everyone paged so far. */
  recipientsOf(alert: Alert, chain: EscalationChain | null): AlertRecipients {
    return alertRecipients(alert.routeTo, chain ? escalationSteps(chain) : [], alert.escalationStep ?? null);
  }

  /**
   * Takes the tenant's next cursors for the announced steps, in order, writes their outbox events
   * and flushes everything. Call once, last in the transaction.
   */
  async commit(): Promise<void> {
    for (const { entry, alert } of this.pending) {
      const [row] = await this.em.execute<{ event_seq: string | number }[]>(
        'update tenant set event_seq = event_seq + 1 where id = ? returning event_seq',
        [this.tenantId],
      );
      if (!row) throw new Error('The tenant of an alert does not exist.');
      entry.seq = Number(row.event_seq);
      if (alert.openedSeq === 0) alert.openedSeq = entry.seq;
      this.em.create(OutboxEvent, {
        tenantId: this.tenantId,
        seq: entry.seq,
        type: 'ALERT_CHANGED',
        patientId: entry.patientId,
        subjectId: entry.alertId,
        kind: String(entry.action),
      });
      this.announced = true;
    }
    this.pending.length = 0;
    await this.em.flush();
  }
}

/** The severity an alert is raised at, as the engine's type. */
export function asSeverity(value: string): Severity {
  return value as Severity;
}
