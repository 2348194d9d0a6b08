import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/** Where a follow-up task stands. */
export const FOLLOW_UP_TASK_STATUSES = ['OPEN', 'DONE'] as const;
/** One of {@link FOLLOW_UP_TASK_STATUSES}. */
export type FollowUpTaskStatus = (typeof FOLLOW_UP_TASK_STATUSES)[number];

/**
 * A follow-up task a protocol created for a care-team role (e.g. "outreach call" after a missed
 * check-in), due at a time. At most one open task per protocol, patient and title is created.
 * `categories` are those of the match that created it (its alert's, when it has one; see
 * `Alert.categories`), so only clinicians whose grant covers them all see it. A clinician
 * completes it (`DONE`), optionally with a note: clinical free text (PHI), stored encrypted.
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
    categories: p.array<string>(),
    createdAt: p.datetime(),
    completedAt: p.datetime().nullable(),
    completedBy: p.uuid().nullable(),
    completionNote: p.string().type(EncryptedTextType).nullable(),
  },
});

/** A follow-up task row. */
export class FollowUpTask extends FollowUpTaskEntity.class {}
FollowUpTaskEntity.setClass(FollowUpTask);
