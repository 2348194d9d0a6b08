import { registerEnumType } from 'type-graphql';
import { SCREENING_INSTRUMENT_NAMES } from '../../clinical/screening.js';
import { WARNING_SIGNS, WARNING_SIGN_DESCRIPTIONS } from '../../clinical/warning-signs.js';
import { CLINICAL_ROLES, CONSENT_TYPES, EMERGENCY_REVIEW_OUTCOMES, ROLES, STATUS_KINDS } from '../../db/entities/index.js';
import type { DataCategory } from '../../auth/data-category.js';

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
registerEnumType(FeedingMethodEnum, { name: 'FeedingMethod', description: 'How an infant was fed.' });
registerEnumType(ScreeningInstrumentEnum, { name: 'ScreeningInstrument', description: 'A validated screening questionnaire.' });
registerEnumType(ConsentCategoryEnum, { name: 'DataCategory', description: 'A category of patient data.' });
registerEnumType(ConsentTypeEnum, {
  name: 'ConsentType',
  description:
    'DATA_SHARING widens what her whole care team may see to the listed categories; CARE_COORDINATION and RESEARCH are recorded for the coordination and research features.',
});
registerEnumType(EmergencyReviewOutcomeEnum, { name: 'EmergencyReviewOutcome', description: "A compliance officer's conclusion about an emergency access." });
registerEnumType(WarningSignEnum, {
  name: 'WarningSign',
  description: 'CDC "Hear Her" urgent maternal warning signs.',
  valuesConfig: Object.fromEntries(WARNING_SIGNS.map((s) => [s, { description: WARNING_SIGN_DESCRIPTIONS[s] }])),
});
