import { CareTeamMember } from './care-team-member.entity.js';
import { Infant } from './infant.entity.js';
import { OutboxEvent } from './outbox-event.entity.js';
import { Patient } from './patient.entity.js';
import { StatusUpdate } from './status-update.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

export { CareTeamMember, Infant, OutboxEvent, Patient, StatusUpdate, Tenant, User };
export { ROLES, CLINICAL_ROLES, type Role, type ClinicalRole } from './user.entity.js';
export { STATUS_KINDS, type StatusKind } from './status-update.entity.js';

/** Every entity the ORM knows about. */
export const ENTITIES = [Tenant, User, Patient, Infant, CareTeamMember, StatusUpdate, OutboxEvent];
