import { defineEntity, p } from '@mikro-orm/core';

/** Every step in the life of an alert. */
export const ALERT_HISTORY_ACTIONS = ['RAISED', 'EVIDENCE_ADDED', 'SEVERITY_RAISED', 'PAGED', 'PAGE_DEFERRED', 'ACKNOWLEDGED', 'RESOLVED'] as const;
/** One of {@link ALERT_HISTORY_ACTIONS}. */
export type AlertHistoryAction = (typeof ALERT_HISTORY_ACTIONS)[number];

/** Who an alert event reaches: care-team roles of the patient and named users (still subject to their grants). */
export interface AlertRecipients {
  readonly roles: readonly string[];
  readonly userIds: readonly string[];
}

/**
 * The alert's history, append-only: who did what, in which role, when. A PAGED step records the
 * escalation step, round and tier. Steps announced live carry `seq`, the tenant cursor of their
 * ALERT_CHANGED outbox event, and `recipients`, who that event is for, so live delivery and replay
 * route each event exactly as it was meant when it happened. `actorId` null means the system (the
 * protocol engine, the escalation timer).
 */
export const AlertHistoryEntity = defineEntity({
  name: 'AlertHistory',
  tableName: 'alert_history',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    alertId: p.uuid(),
    patientId: p.uuid(),
    action: p.enum(() => [...ALERT_HISTORY_ACTIONS]).columnType('text'),
    actorId: p.uuid().nullable(),
    actorRole: p.string().length(40).nullable(),
    at: p.datetime(),
    severity: p.string().length(20),
    escalationStep: p.integer().nullable(),
    escalationRound: p.integer().nullable(),
    /** 0-based tier index, -1 for the fallback tier. */
    escalationTier: p.integer().nullable(),
    seq: p.bigint('number').nullable(),
    recipients: p.json<AlertRecipients>().nullable(),
  },
});

/** An alert-history row. */
export class AlertHistory extends AlertHistoryEntity.class {}
AlertHistoryEntity.setClass(AlertHistory);
