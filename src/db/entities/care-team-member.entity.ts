import { defineEntity, p } from '@mikro-orm/core';
import { CLINICAL_ROLES } from './user.entity.js';

/**
 * A clinician's membership of one patient's care team. Removal sets `removedAt` (history is kept
 * for the audit); only rows without it grant access. At most one active row per patient and user.
 */
export const CareTeamMemberEntity = defineEntity({
  name: 'CareTeamMember',
  tableName: 'care_team_member',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().index(),
    patientId: p.uuid().index(),
    userId: p.uuid().index(),
    role: p.enum(() => [...CLINICAL_ROLES]).columnType('text'),
    assignedAt: p.datetime().onCreate(() => new Date()),
    assignedBy: p.uuid(),
    removedAt: p.datetime().nullable(),
    removedBy: p.uuid().nullable(),
  },
});

/** A care-team membership row. */
export class CareTeamMember extends CareTeamMemberEntity.class {}
CareTeamMemberEntity.setClass(CareTeamMember);
