import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import { resolvePatientGrants } from '../auth/patient-grants.js';
import { visibleRecordsFilter } from '../auth/record-visibility.js';
import type { RequestContext } from '../context.js';
import {
  Alert, AlertEvidence, AlertHistory, Protocol, ProtocolVersion, StatusUpdate, type AlertStatus, type Role, type StatusKind,
} from '../db/entities/index.js';
import { NotFoundError } from '../errors.js';
import { checkId, checkText } from '../status/input-checks.js';
import { escalationSteps } from '../protocols/escalation.js';
import { AlertChanges } from './alert-changes.js';
import { definitionOf } from './protocol-catalog.js';

/** Longest resolution note, in characters. */
export const MAX_RESOLUTION_NOTE_LENGTH = 2000;

/** An alert with what its view shows besides its own columns. */
export interface AlertRecord {
  readonly alert: Alert;
  readonly protocolName: string;
  readonly versionNumber: number;
  /** The tier paged last, 1-based in chain order (the fallback is tiers + 1); null before any page. */
  readonly escalationTier: number | null;
  /** The round of the chain paged last; null before any page. */
  readonly escalationRound: number | null;
}

/** Loads the protocol names and version numbers of alerts, in two queries. */
export async function alertRecords(em: EntityManager, alerts: readonly Alert[]): Promise<AlertRecord[]> {
  if (alerts.length === 0) return [];
  const versions = await em.find(ProtocolVersion, { id: { $in: [...new Set(alerts.map((a) => a.protocolVersionId))] } });
  const byVersion = new Map(versions.map((v) => [v.id, v]));
  const activeNames = new Map<string, string>();
  const protocols = await em.find(Protocol, { id: { $in: [...new Set(alerts.map((a) => a.protocolId))] } });
  const activeVersions = await em.find(ProtocolVersion, { id: { $in: protocols.map((p) => p.activeVersionId).filter((id): id is string => !!id) } });
  for (const v of activeVersions) activeNames.set(v.protocolId, definitionOf(v).name);
  return alerts.map((alert) => {
    const version = byVersion.get(alert.protocolVersionId);
    const definition = version ? definitionOf(version) : null;
    const chain = definition?.escalation ?? null;
    const step = chain && alert.escalationStep !== null && alert.escalationStep !== undefined ? escalationSteps(chain)[alert.escalationStep] : undefined;
    return {
      alert,
      protocolName: activeNames.get(alert.protocolId) ?? definition?.name ?? '',
      versionNumber: version?.number ?? 0,
      escalationTier: step ? (step.isFallback ? chain!.tiers.length + 1 : step.tierIndex + 1) : null,
      escalationRound: step ? step.round : null,
    };
  });
}

/**
 * Alerts for clinicians: listing, acknowledging (stops the escalation chain; a repeat is a no-op)
 * and resolving (with a note). A caller sees an alert only with a grant for its patient that covers
 * every data category the alert reads (`Alert.categories`, see `record-visibility.ts`); anything
 * else answers NOT_FOUND. Every step is recorded in the alert's history, announced on the `alerts`
 * subscription and handed to the audit trail.
 */
export class AlertService {
  constructor(private readonly ctx: RequestContext) {}

  /** Loads an alert the caller may see, or NOT_FOUND naming `field`. */
  async require(id: string, field = 'id'): Promise<Alert> {
    const actor = this.ctx.access.requireActor();
    const alertId = checkId(id, field, NotFoundError.alert);
    const alert = await this.ctx.em.findOne(Alert, { id: alertId, tenantId: actor.tenantId });
    if (!alert || !(await this.ctx.access.allowsAll(alert.patientId, alert.categories))) throw NotFoundError.alert(field);
    return alert;
  }

  /** The caller's alerts (patients in scope, every category covered), newest first, optionally by status. */
  async list(status: AlertStatus | null, first: number, beforeSeq: number | null): Promise<{ alerts: Alert[]; hasNextPage: boolean }> {
    const actor = this.ctx.access.requireActor();
    const now = this.ctx.services.now();
    const visible = visibleRecordsFilter((await resolvePatientGrants(this.ctx.em, actor, now)).values(), now);
    if (!visible) return { alerts: [], hasNextPage: false };
    const rows = await this.ctx.em.find(
      Alert,
      {
        tenantId: actor.tenantId,
        ...visible,
        ...(status ? { status } : {}),
        ...(beforeSeq !== null ? { openedSeq: { $lt: beforeSeq } } : {}),
      },
      { orderBy: { openedSeq: 'desc' }, limit: first + 1 },
    );
    return { alerts: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Acknowledges an alert: the escalation chain stops. Acknowledging an alert that is not open changes nothing. */
  async acknowledge(id: string): Promise<Alert> {
    const actor = this.ctx.access.requireActor();
    const checked = await this.require(id);
    return this.change(checked.id, (alert, changes, chain) => {
      if (alert.status !== 'OPEN') return false;
      alert.status = 'ACKNOWLEDGED';
      alert.acknowledgedBy = actor.userId;
      alert.acknowledgedAt = new Date(this.ctx.services.now());
      changes.record(alert, 'ACKNOWLEDGED', { userId: actor.userId, role: actor.role as Role }, changes.recipientsOf(alert, chain));
      return true;
    });
  }

  /** Resolves an alert with a note (required); resolving a resolved alert changes nothing. */
  async resolve(id: string, note: string): Promise<Alert> {
    const actor = this.ctx.access.requireActor();
    const text = checkText(note ?? '', 'note', MAX_RESOLUTION_NOTE_LENGTH);
    const checked = await this.require(id);
    return this.change(checked.id, (alert, changes, chain) => {
      if (alert.status === 'RESOLVED') return false;
      alert.status = 'RESOLVED';
      alert.resolvedBy = actor.userId;
      alert.resolvedAt = new Date(this.ctx.services.now());
      alert.resolutionNote = text;
      changes.record(alert, 'RESOLVED', { userId: actor.userId, role: actor.role as Role }, changes.recipientsOf(alert, chain));
      return true;
    });
  }

  /**
   * Applies a step to a locked alert in one transaction; when the step changed it, cancels the
   * pending escalation jobs and announces it, then wakes the relay and audits after commit.
   */
  private async change(
    alertId: string,
    step: (alert: Alert, changes: AlertChanges, chain: ReturnType<typeof definitionOf>['escalation']) => boolean,
  ): Promise<Alert> {
    const actor = this.ctx.access.requireActor();
    const now = this.ctx.services.now();
    let changes: AlertChanges | null = null;
    const alert = await this.ctx.em.transactional(async (tx) => {
      const locked = await tx.findOneOrFail(Alert, { id: alertId, tenantId: actor.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const version = await tx.findOne(ProtocolVersion, { id: locked.protocolVersionId });
      const unit = new AlertChanges(tx, actor.tenantId, now);
      if (step(locked, unit, version ? definitionOf(version).escalation : null)) {
        await unit.cancelPendingJobs(locked.id);
        await unit.commit();
        changes = unit;
      }
      return locked;
    });
    if (changes) this.ctx.services.alerting.onCommitted(changes);
    return alert;
  }

  /** The status updates attached to an alert that the caller may read (each by its own kind's category), oldest first. */
  async evidence(alert: Alert): Promise<StatusUpdate[]> {
    const links = await this.ctx.em.find(AlertEvidence, { alertId: alert.id, tenantId: alert.tenantId }, { orderBy: { addedAt: 'asc' } });
    if (links.length === 0) return [];
    const rows = await this.ctx.em.find(StatusUpdate, { id: { $in: links.map((l) => l.statusUpdateId) }, tenantId: alert.tenantId }, { orderBy: { seq: 'asc' } });
    const visible: StatusUpdate[] = [];
    for (const row of rows) if (await this.ctx.access.allows(row.patientId, STATUS_KIND_CATEGORY[row.kind as StatusKind])) visible.push(row);
    return visible;
  }

  /** Every step of an alert's life, oldest first. */
  history(alert: Alert): Promise<AlertHistory[]> {
    return this.ctx.em.find(AlertHistory, { alertId: alert.id, tenantId: alert.tenantId }, { orderBy: { at: 'asc', seq: 'asc' } });
  }
}
