import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Alert, FollowUpTask, ProtocolVersion, SafetyMessage } from '../db/entities/index.js';
import { decideOnMatch } from '../protocols/deduplication.js';
import type { EscalationChain, EvaluationResult, MatchDecision, ProtocolAction, ProtocolDefinition, Severity } from '../protocols/protocol.js';
import { AlertChanges } from './alert-changes.js';
import { definitionOf } from './protocol-catalog.js';

/** One protocol's evaluation for one patient, ready to act on inside the writing transaction. */
export interface MatchToApply {
  readonly tenantId: string;
  readonly patientId: string;
  readonly protocolId: string;
  readonly versionId: string;
  readonly definition: ProtocolDefinition;
  readonly result: EvaluationResult;
  /**
   * The data categories the evaluation read (`categoriesOfMatch`: its expressions' facts, the
   * triggering update and the evidence), which whoever sees what it raises must hold, all of them.
   */
  readonly categories: readonly string[];
  /** Whether this is a scheduled evaluation (absence rules), which de-duplicates messages by day. */
  readonly scheduled: boolean;
  /** The clock, in milliseconds since the epoch. */
  readonly now: number;
}

/** How long a scheduled rule without an alert waits before sending the same safety message again. */
const SCHEDULED_MESSAGE_QUIET_MS = 24 * 60 * 60 * 1000;

/** The escalation chain of the version that opened an alert (its paging follows that version throughout). */
async function chainOfAlert(tx: EntityManager, alert: Alert, current: MatchToApply): Promise<EscalationChain | null> {
  if (alert.protocolVersionId === current.versionId) return current.definition.escalation;
  const version = await tx.findOne(ProtocolVersion, { id: alert.protocolVersionId });
  return version ? definitionOf(version).escalation : current.definition.escalation;
}

/**
 * Acts on one evaluation inside the caller's transaction: raises, de-duplicates or re-pages the
 * alert (one open alert per protocol and patient, locked while deciding), creates follow-up tasks
 * and records safety messages. Returns the de-duplication decision (null when no alert action ran).
 */
export async function applyMatch(tx: EntityManager, changes: AlertChanges, match: MatchToApply): Promise<MatchDecision | null> {
  const { result } = match;
  if ((result.outcome !== 'MATCHED' && result.outcome !== 'INCOMPLETE') || result.actions.length === 0) return null;
  const raise = result.actions.find((a): a is Extract<ProtocolAction, { type: 'RAISE_ALERT' }> => a.type === 'RAISE_ALERT');
  let decision: MatchDecision | null = null;
  let alert: Alert | null = null;
  if (raise) ({ decision, alert } = await raiseAlert(tx, changes, match, raise.routeTo, result.severity));
  const fresh = decision !== 'ATTACH_EVIDENCE';
  for (const action of result.actions) {
    if (action.type === 'CREATE_TASK' && fresh) await createTask(tx, match, action, alert);
    if (action.type === 'SEND_SAFETY_MESSAGE' && fresh) await sendSafetyMessage(tx, match, action.template, alert, !raise);
  }
  return decision;
}

async function raiseAlert(
  tx: EntityManager,
  changes: AlertChanges,
  match: MatchToApply,
  routeTo: readonly string[],
  severity: Severity,
): Promise<{ decision: MatchDecision; alert: Alert }> {
  const open = await tx.findOne(
    Alert,
    { tenantId: match.tenantId, protocolId: match.protocolId, patientId: match.patientId, status: { $ne: 'RESOLVED' } },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  const decision = decideOnMatch(open ? { severity: open.severity as Severity } : null, severity);
  const now = new Date(match.now);
  if (!open) {
    const alert = tx.create(Alert, {
      id: crypto.randomUUID(),
      tenantId: match.tenantId,
      patientId: match.patientId,
      protocolId: match.protocolId,
      protocolVersionId: match.versionId,
      severity,
      status: 'OPEN',
      categories: [...match.categories],
      routeTo: [...routeTo],
      incompleteData: match.result.incompleteData,
      escalationStep: null,
      openedSeq: 0,
      openedAt: now,
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolvedBy: null,
      resolvedAt: null,
      resolutionNote: null,
    });
    const chain = match.definition.escalation;
    // With a chain, the first page is the announcement; without one, the raise itself is.
    changes.record(alert, 'RAISED', null, changes.recipientsOf(alert, null), null, chain === null);
    await changes.attachEvidence(alert, match.result.evidenceIds);
    await changes.page(alert, chain, 0);
    return { decision, alert };
  }
  widenCategories(open, match.categories);
  await changes.attachEvidence(open, match.result.evidenceIds);
  const chain = await chainOfAlert(tx, open, match);
  if (decision === 'ATTACH_EVIDENCE') {
    // Announced to those the alert has reached so far (its routing and the tiers already paged), so
    // open dashboards show the new evidence; it is not a page: no tier is paged, no timer restarts.
    changes.record(open, 'EVIDENCE_ADDED', null, changes.recipientsOf(open, chain), null, true);
    return { decision, alert: open };
  }
  if (decision === 'RAISE_SEVERITY') {
    open.severity = severity;
    if (!match.result.incompleteData) open.incompleteData = false;
    changes.record(open, 'SEVERITY_RAISED', null, changes.recipientsOf(open, chain), null, chain === null);
  } else {
    changes.record(open, 'EVIDENCE_ADDED', null, changes.recipientsOf(open, chain), null, false);
  }
  // A higher severity, or a repeated critical match, restarts the chain: never suppressed.
  await changes.cancelPendingJobs(open.id);
  open.status = 'OPEN';
  open.acknowledgedBy = null;
  open.acknowledgedAt = null;
  await changes.page(open, chain, 0);
  return { decision, alert: open };
}

/** Adds a match's categories to an open alert's: what it shows now tells about every match attached to it. */
function widenCategories(alert: Alert, categories: readonly string[]): void {
  if (categories.every((c) => alert.categories.includes(c))) return;
  alert.categories = [...new Set([...alert.categories, ...categories])].sort();
}

async function createTask(
  tx: EntityManager,
  match: MatchToApply,
  action: Extract<ProtocolAction, { type: 'CREATE_TASK' }>,
  alert: Alert | null,
): Promise<void> {
  const existing = await tx.count(FollowUpTask, {
    tenantId: match.tenantId,
    patientId: match.patientId,
    protocolId: match.protocolId,
    title: action.title,
    status: 'OPEN',
  });
  if (existing > 0) return;
  tx.create(FollowUpTask, {
    id: crypto.randomUUID(),
    tenantId: match.tenantId,
    patientId: match.patientId,
    protocolId: match.protocolId,
    protocolVersionId: match.versionId,
    alertId: alert?.id ?? null,
    title: action.title,
    assignedRole: action.assignTo,
    dueAt: new Date(match.now + action.dueInMinutes * 60_000),
    status: 'OPEN',
    categories: alert ? [...alert.categories] : [...match.categories],
    createdAt: new Date(match.now),
    completedAt: null,
    completedBy: null,
    completionNote: null,
  });
}

async function sendSafetyMessage(tx: EntityManager, match: MatchToApply, template: string, alert: Alert | null, withoutAlert: boolean): Promise<void> {
  if (match.scheduled && withoutAlert) {
    const recent = await tx.count(SafetyMessage, {
      tenantId: match.tenantId,
      patientId: match.patientId,
      protocolId: match.protocolId,
      templateKey: template,
      sentAt: { $gt: new Date(match.now - SCHEDULED_MESSAGE_QUIET_MS) },
    });
    if (recent > 0) return;
  }
  tx.create(SafetyMessage, {
    id: crypto.randomUUID(),
    tenantId: match.tenantId,
    patientId: match.patientId,
    protocolId: match.protocolId,
    protocolVersionId: match.versionId,
    alertId: alert?.id ?? null,
    templateKey: template,
    sentAt: new Date(match.now),
  });
}
