import { registerEnumType } from 'type-graphql';
import { SCREENING_INSTRUMENT_NAMES } from '../../clinical/screening.js';
import { WARNING_SIGNS, WARNING_SIGN_DESCRIPTIONS } from '../../clinical/warning-signs.js';
import { CLINICAL_ROLES, CONSENT_TYPES, EMERGENCY_REVIEW_OUTCOMES, ROLES, STATUS_KINDS, STATUS_UPDATE_DELETION_REASONS } from '../../db/entities/index.js';
import type { DataCategory } from '../../auth/data-category.js';
import { PURPOSES_OF_USE } from '../../audit/audit-entry.js';
import { COMPLIANCE_RULES } from '../../audit/compliance/compliance-rules.js';
import { ALERT_HISTORY_ACTIONS, ALERT_STATUSES, FOLLOW_UP_TASK_STATUSES, PROTOCOL_VERSION_STATUSES } from '../../db/entities/index.js';
import { INCOMPLETE_DATA_POLICIES, SAFETY_MESSAGE_TEMPLATES, SEVERITIES } from '../../protocols/protocol.js';

function enumOf<T extends string>(values: readonly T[]): Record<T, T> {
  return Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;
}

/** GraphQL enum objects, built from the domain's value lists so the two never drift apart. */
export const RoleEnum = enumOf(ROLES);
export const CareTeamRoleEnum = enumOf(CLINICAL_ROLES);
export const StatusKindEnum = enumOf(STATUS_KINDS);
export const FEEDING_METHODS = ['BREAST', 'BOTTLE_BREASTMILK', 'FORMULA'] as const;
/** How an infant was fed. */
export type FeedingMethod = (typeof FEEDING_METHODS)[number];
export const FeedingMethodEnum = enumOf(FEEDING_METHODS);
export const ScreeningInstrumentEnum = enumOf(SCREENING_INSTRUMENT_NAMES);
export const WarningSignEnum = enumOf(WARNING_SIGNS);
/** Categories of patient data a consent can cover. */
export const CONSENT_CATEGORIES = ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM'] as const satisfies readonly DataCategory[];
export const ConsentCategoryEnum = enumOf(CONSENT_CATEGORIES);
export const ConsentTypeEnum = enumOf(CONSENT_TYPES);
export const EmergencyReviewOutcomeEnum = enumOf(EMERGENCY_REVIEW_OUTCOMES);

registerEnumType(RoleEnum, { name: 'Role', description: "A user's role in the tenant." });
registerEnumType(CareTeamRoleEnum, { name: 'CareTeamRole', description: "A clinician's role on one patient's care team." });
registerEnumType(StatusKindEnum, { name: 'StatusKind', description: 'What a status update records.' });
export const StatusUpdateDeletionReasonEnum = enumOf(STATUS_UPDATE_DELETION_REASONS);
registerEnumType(StatusUpdateDeletionReasonEnum, {
  name: 'StatusUpdateDeletionReason',
  description: 'Why a status update is deleted: ENTERED_IN_ERROR, WRONG_PATIENT (clinicians only), DUPLICATE, PATIENT_REQUEST.',
});
registerEnumType(FeedingMethodEnum, { name: 'FeedingMethod', description: 'How an infant was fed.' });
registerEnumType(ScreeningInstrumentEnum, { name: 'ScreeningInstrument', description: 'A validated screening questionnaire.' });
registerEnumType(ConsentCategoryEnum, { name: 'DataCategory', description: 'A category of patient data.' });
registerEnumType(ConsentTypeEnum, {
  name: 'ConsentType',
  description:
    'DATA_SHARING widens what her whole care team may see to the listed categories; RESEARCH admits her, for the listed categories, to anonymised research aggregates (never a record); CARE_COORDINATION, once she has recorded one, limits the clinical categories her care coordinator reads to those her active CARE_COORDINATION consents list (identity, contact and care team always stay).',
});
registerEnumType(EmergencyReviewOutcomeEnum, { name: 'EmergencyReviewOutcome', description: "A compliance officer's conclusion about an emergency access." });
registerEnumType(WarningSignEnum, {
  name: 'WarningSign',
  description: 'CDC "Hear Her" urgent maternal warning signs.',
  valuesConfig: Object.fromEntries(WARNING_SIGNS.map((s) => [s, { description: WARNING_SIGN_DESCRIPTIONS[s] }])),
});

// Care protocols and alerts (src/alerting, src/protocols).
export const SeverityEnum = enumOf(SEVERITIES);
export const AlertStatusEnum = enumOf(ALERT_STATUSES);
export const FollowUpTaskStatusEnum = enumOf(FOLLOW_UP_TASK_STATUSES);
export const AlertHistoryActionEnum = enumOf(ALERT_HISTORY_ACTIONS);
export const ProtocolVersionStatusEnum = enumOf(PROTOCOL_VERSION_STATUSES);
export const SafetyMessageTemplateEnum = enumOf(SAFETY_MESSAGE_TEMPLATES);
export const IncompleteDataPolicyEnum = enumOf(INCOMPLETE_DATA_POLICIES);
export const PROTOCOL_ACTION_TYPES = ['RAISE_ALERT', 'CREATE_TASK', 'SEND_SAFETY_MESSAGE'] as const;
/** What a protocol does when it matches. */
export type ProtocolActionType = (typeof PROTOCOL_ACTION_TYPES)[number];
export const ProtocolActionTypeEnum = enumOf(PROTOCOL_ACTION_TYPES);
registerEnumType(SeverityEnum, { name: 'Severity', description: 'How urgent an alert is.' });
registerEnumType(FollowUpTaskStatusEnum, { name: 'FollowUpTaskStatus', description: 'OPEN (to do) or DONE (completed by a clinician).' });
registerEnumType(AlertStatusEnum, { name: 'AlertStatus', description: 'OPEN (paging), ACKNOWLEDGED (the chain stopped), RESOLVED (closed with a note).' });
registerEnumType(AlertHistoryActionEnum, { name: 'AlertHistoryAction', description: 'A step in the life of an alert.' });
registerEnumType(ProtocolVersionStatusEnum, { name: 'ProtocolVersionStatus', description: 'DRAFT, ACTIVE (evaluated now; one per protocol) or RETIRED.' });
registerEnumType(SafetyMessageTemplateEnum, { name: 'SafetyMessageTemplate', description: 'A templated message a protocol may send the patient.' });
registerEnumType(IncompleteDataPolicyEnum, {
  name: 'IncompleteDataPolicy',
  description: 'What a protocol does when a fact it needs is missing (never silently false).',
});
registerEnumType(ProtocolActionTypeEnum, { name: 'ProtocolActionType', description: 'What a protocol does when it matches.' });
/** Why health data was used (the audit's purposes of use). */
export const PurposeOfUseEnum = enumOf(PURPOSES_OF_USE);
/** Whether an audited access was allowed or refused. */
export const AuditOutcomeEnum = enumOf(['ALLOWED', 'DENIED'] as const);
/** The compliance monitor's rules. */
export const ComplianceRuleEnum = enumOf(COMPLIANCE_RULES);
registerEnumType(PurposeOfUseEnum, { name: 'PurposeOfUse', description: 'Why health data was used (HIPAA purposes of use).' });
registerEnumType(AuditOutcomeEnum, { name: 'AuditOutcome', description: 'Whether an audited access was allowed or refused.' });
registerEnumType(ComplianceRuleEnum, { name: 'ComplianceRule', description: 'A compliance monitoring rule over the audit trail.' });
