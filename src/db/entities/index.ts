import { AuthSession } from './auth-session.entity.js';
import { CareTeamMember } from './care-team-member.entity.js';
import { Consent } from './consent.entity.js';
import { EmergencyAccess } from './emergency-access.entity.js';
import { Infant } from './infant.entity.js';
import { LoginThrottle } from './login-throttle.entity.js';
import { OutboxEvent } from './outbox-event.entity.js';
import { Patient } from './patient.entity.js';
import { StatusUpdate } from './status-update.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';
import { TotpCredential, TotpRecoveryCode } from './totp-credential.entity.js';

export { CareTeamMember, Consent, EmergencyAccess, Infant, OutboxEvent, Patient, StatusUpdate, Tenant, User };
export { ROLES, CLINICAL_ROLES, type Role, type ClinicalRole } from './user.entity.js';
export { STATUS_KINDS, type StatusKind } from './status-update.entity.js';
export { AuthSession, LoginThrottle, TotpCredential, TotpRecoveryCode };
export { SESSION_END_REASONS, type SessionEndReason } from './auth-session.entity.js';
export { CONSENT_TYPES, type ConsentType } from './consent.entity.js';
export { EMERGENCY_REVIEW_OUTCOMES, type EmergencyReviewOutcome } from './emergency-access.entity.js';

/** Every entity the ORM knows about. */
export const ENTITIES = [Tenant, User, Patient, Infant, CareTeamMember, StatusUpdate, OutboxEvent, Consent, EmergencyAccess, AuthSession, LoginThrottle, TotpCredential, TotpRecoveryCode];
