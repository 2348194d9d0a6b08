import type { Role } from '../../src/db/entities/index.js';

/**
 * The access model restated as an oracle, independent of the code (`docs/access-model.md`): which
 * roles each operation admits, and which data categories each role gets of a patient in each
 * situation. `authorization-matrix.int.test.ts` checks every patient-scoped operation in every
 * situation against it, and scans every response for the values of the categories `categories`
 * withholds from the caller; `operation-roles.int.test.ts` checks every operation of the schema for
 * every caller, and fails when the schema has an operation this table does not list.
 */

/** The patient-data categories. */
export type Category = 'IDENTITY' | 'CONTACT' | 'MATERNAL' | 'MENTAL_HEALTH' | 'FEEDING' | 'INFANT' | 'CARE_TEAM';
export const ALL: readonly Category[] = ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM'];

/** What each care-team role reads of the patients on whose team it is (the tenant defaults). */
export const BY_CARE_TEAM_ROLE: Partial<Record<Role, readonly Category[]>> = {
  PRIMARY_CARE_PROVIDER: ALL,
  MIDWIFE: ALL,
  CARE_COORDINATOR: ALL,
  MENTAL_HEALTH_SPECIALIST: ['IDENTITY', 'CONTACT', 'MENTAL_HEALTH', 'MATERNAL', 'CARE_TEAM'],
  LACTATION_CONSULTANT: ['IDENTITY', 'CONTACT', 'FEEDING', 'INFANT', 'CARE_TEAM'],
};

export const ROLES: readonly Role[] = [
  'PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR', 'RESEARCHER', 'COMPLIANCE_OFFICER', 'ADMIN',
];
/** Every caller of the matrices: each role, and nobody signed in. */
export type Caller = Role | 'ANONYMOUS';
export const CALLERS: readonly Caller[] = [...ROLES, 'ANONYMOUS'];

/** The clinical (care-team) roles. */
export const CLINICIANS: readonly Role[] = ROLES.filter((r) => BY_CARE_TEAM_ROLE[r]);
/** Who logs status updates, reads them, and uses secure messaging: the patient and the clinicians. */
export const PATIENT_AND_CLINICIANS: readonly Role[] = ['PATIENT', ...CLINICIANS];

/** Who may call an operation: any signed-in caller, nobody signed in needed, or the listed roles. */
export type Admits = 'SIGNED_IN' | 'PUBLIC' | readonly Role[];

/**
 * Every root operation of the schema (`Query.x`, `Mutation.x`, `Subscription.x`) and whom it admits.
 * Patient-scoped operations additionally decide per patient (see {@link PATIENT_SCOPED}).
 */
export const OPERATION_ROLES: Readonly<Record<string, Admits>> = {
  'Query.patient': 'SIGNED_IN',
  'Query.patients': ['PATIENT', ...CLINICIANS, 'ADMIN'],
  'Query.statusUpdates': PATIENT_AND_CLINICIANS,
  'Query.consents': PATIENT_AND_CLINICIANS,
  'Query.me': 'SIGNED_IN',
  'Query.screeningInstruments': 'SIGNED_IN',
  'Query.screeningInstrument': 'SIGNED_IN',
  'Query.alerts': CLINICIANS,
  'Query.alert': CLINICIANS,
  'Query.mySafetyMessages': ['PATIENT'],
  'Query.followUpTasks': CLINICIANS,
  'Query.protocols': [...CLINICIANS, 'ADMIN'],
  'Query.protocol': [...CLINICIANS, 'ADMIN'],
  'Query.simulateProtocol': ['CARE_COORDINATOR'],
  'Query.auditTrail': ['COMPLIANCE_OFFICER'],
  'Query.myAccessReport': ['PATIENT'],
  'Query.verifyAuditChain': ['COMPLIANCE_OFFICER'],
  'Query.complianceEvents': ['COMPLIANCE_OFFICER'],
  'Query.complianceThresholds': ['COMPLIANCE_OFFICER', 'ADMIN'],
  'Query.complianceReport': ['COMPLIANCE_OFFICER'],
  'Query.pendingEmergencyAccessReviews': ['COMPLIANCE_OFFICER'],
  'Query.liveRouting': ['ADMIN', 'CARE_COORDINATOR'],
  'Query.quietHours': ['ADMIN', 'CARE_COORDINATOR'],
  'Query.researchCohort': ['RESEARCHER'],
  'Query.outcomeMetrics': ['RESEARCHER'],
  'Query.rolePermissions': ['ADMIN', 'COMPLIANCE_OFFICER'],
  'Query.tenantSecurityPolicy': ['ADMIN'],
  'Query.myDevices': PATIENT_AND_CLINICIANS,
  'Query.preKeyCount': PATIENT_AND_CLINICIANS,
  'Query.preKeyBundles': PATIENT_AND_CLINICIANS,

  'Mutation.login': 'PUBLIC',
  'Mutation.refreshSession': 'PUBLIC',
  'Mutation.logout': 'SIGNED_IN',
  'Mutation.beginTotpEnrolment': 'PUBLIC',
  'Mutation.confirmTotpEnrolment': 'PUBLIC',
  'Mutation.disableTotp': 'SIGNED_IN',
  'Mutation.createUser': ['ADMIN'],
  'Mutation.setUserDisabled': ['ADMIN'],
  'Mutation.resetSecondFactor': ['ADMIN'],
  'Mutation.setRolePermissions': ['ADMIN'],
  'Mutation.setTenantSecurityPolicy': ['ADMIN'],
  'Mutation.setLiveRouting': ['ADMIN'],
  'Mutation.setQuietHours': ['ADMIN', 'CARE_COORDINATOR'],
  'Mutation.setComplianceThresholds': ['COMPLIANCE_OFFICER', 'ADMIN'],
  'Mutation.createPatient': ['CARE_COORDINATOR', 'ADMIN'],
  'Mutation.addInfant': ['PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'CARE_COORDINATOR'],
  'Mutation.assignCareTeamMember': ['CARE_COORDINATOR', 'ADMIN'],
  'Mutation.removeCareTeamMember': ['CARE_COORDINATOR', 'ADMIN'],
  'Mutation.logMood': PATIENT_AND_CLINICIANS,
  'Mutation.logFeeding': PATIENT_AND_CLINICIANS,
  'Mutation.logSleep': PATIENT_AND_CLINICIANS,
  'Mutation.logVitals': PATIENT_AND_CLINICIANS,
  'Mutation.logInfantVitals': PATIENT_AND_CLINICIANS,
  'Mutation.logSymptoms': PATIENT_AND_CLINICIANS,
  'Mutation.submitScreening': PATIENT_AND_CLINICIANS,
  'Mutation.deleteStatusUpdate': PATIENT_AND_CLINICIANS,
  'Mutation.grantConsent': ['PATIENT'],
  'Mutation.revokeConsent': ['PATIENT'],
  'Mutation.requestEmergencyAccess': CLINICIANS,
  'Mutation.reviewEmergencyAccess': ['COMPLIANCE_OFFICER'],
  'Mutation.acknowledgeAlert': CLINICIANS,
  'Mutation.resolveAlert': CLINICIANS,
  'Mutation.completeFollowUpTask': CLINICIANS,
  'Mutation.createProtocol': ['CARE_COORDINATOR'],
  'Mutation.updateProtocol': ['CARE_COORDINATOR'],
  'Mutation.setProtocolEnabled': ['CARE_COORDINATOR'],
  'Mutation.activateProtocolVersion': ['CARE_COORDINATOR'],
  'Mutation.registerDevice': PATIENT_AND_CLINICIANS,
  'Mutation.uploadPreKeys': PATIENT_AND_CLINICIANS,
  'Mutation.removeDevice': PATIENT_AND_CLINICIANS,
  'Mutation.sendMessage': PATIENT_AND_CLINICIANS,
  'Mutation.ackMessages': PATIENT_AND_CLINICIANS,

  'Subscription.patientUpdates': PATIENT_AND_CLINICIANS,
  'Subscription.alerts': CLINICIANS,
  'Subscription.complianceEvents': ['COMPLIANCE_OFFICER'],
  'Subscription.inbox': PATIENT_AND_CLINICIANS,
  'Subscription.preKeysLow': PATIENT_AND_CLINICIANS,
};

/**
 * Operations whose answer also depends on the caller's relation to one patient: each is checked in
 * every situation by `authorization-matrix.int.test.ts` (which fails if it misses one of these).
 */
export const PATIENT_SCOPED: readonly string[] = [
  'Query.patient', 'Query.patients', 'Query.statusUpdates', 'Query.consents', 'Query.alerts', 'Query.alert', 'Query.simulateProtocol',
  'Query.auditTrail', 'Query.preKeyBundles',
  'Mutation.addInfant', 'Mutation.assignCareTeamMember', 'Mutation.removeCareTeamMember',
  'Mutation.logMood', 'Mutation.logFeeding', 'Mutation.logSleep', 'Mutation.logVitals', 'Mutation.logInfantVitals', 'Mutation.logSymptoms', 'Mutation.submitScreening',
  'Mutation.grantConsent', 'Mutation.revokeConsent', 'Mutation.requestEmergencyAccess', 'Mutation.acknowledgeAlert', 'Mutation.resolveAlert',
  'Query.followUpTasks', 'Mutation.completeFollowUpTask',
  'Subscription.patientUpdates', 'Subscription.alerts',
];

/** Whether an operation admits a caller at the gate (before any per-patient decision). */
export function admits(operation: string, caller: Caller): boolean {
  const rule = OPERATION_ROLES[operation];
  if (!rule) throw new Error(`${operation} is not in the oracle`);
  if (rule === 'PUBLIC') return true;
  if (caller === 'ANONYMOUS') return false;
  return rule === 'SIGNED_IN' || rule.includes(caller);
}

/** How the caller stands to the patient in each column of the per-patient matrix. */
export type Situation = 'OWN' | 'OTHER_IN_TENANT' | 'OTHER_TENANT' | 'AFTER_REMOVAL' | 'AFTER_CONSENT_REVOKED' | 'UNDER_BREAK_GLASS';
export const SITUATIONS: readonly Situation[] = ['OWN', 'OTHER_IN_TENANT', 'OTHER_TENANT', 'AFTER_REMOVAL', 'AFTER_CONSENT_REVOKED', 'UNDER_BREAK_GLASS'];

/** Situations in which a clinician is on the patient's active care team. */
export const ON_TEAM: ReadonlySet<Situation> = new Set(['OWN', 'AFTER_CONSENT_REVOKED']);

/** The categories the oracle says a role may read of the patient in a situation. */
export function categories(role: Role, situation: Situation): Set<Category> {
  const clinical = BY_CARE_TEAM_ROLE[role];
  if (role === 'PATIENT') return new Set(situation === 'OWN' ? ALL : []);
  if (role === 'ADMIN') return new Set(situation === 'OTHER_TENANT' ? [] : ['IDENTITY', 'CARE_TEAM']);
  if (!clinical) return new Set();
  if (ON_TEAM.has(situation)) return new Set(clinical);
  if (situation === 'UNDER_BREAK_GLASS') return new Set(ALL);
  return new Set();
}
