import { defineEntity, p } from '@mikro-orm/core';

/** Where a follow-up task stands. */
export const FOLLOW_UP_TASK_STATUSES = ['OPEN', 'DONE'] as const;

/**
 * A follow-up task a protocol created for a care-team role (e.g. "outreach call" after a missed
 * check-in), due at a time. At most one open task per protocol, patient and title is created.
 */
export const FollowUpTaskEntity = defineEntity({
  name: 'FollowUpTask',
  tableName: 'follow_up_task',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    patientId: p.uuid(),
    protocolId: p.uuid(),
    protocolVersionId: p.uuid(),
    alertId: p.uuid().nullable(),
    title: p.string().length(200),
    assignedRole: p.string().length(40),
    dueAt: p.datetime(),
    status: p.enum(() => [...FOLLOW_UP_TASK_STATUSES]).columnType('text'),
    createdAt: p.datetime(),
  },
});

/** A follow-up task row. */
export class FollowUpTask extends FollowUpTaskEntity.class {}
FollowUpTaskEntity.setClass(FollowUpTask);
