import type { ClinicalRole, StatusKind } from '../db/entities/index.js';

/**
 * What kind of information a field exposes. Every field of the schema declares one in its `@auth`
 * directive; patient-data categories are then checked against the caller's relation to the patient.
 */
export const DATA_CATEGORIES = [
  /** Ids, timestamps, cursors, page info: no health information by themselves. */
  'OPERATIONAL',
  /** A user's own account (e-mail, role, display name). */
  'ACCOUNT',
  /** Session tokens. */
  'CREDENTIALS',
  /** A patient's name, birth date, MRN. */
  'IDENTITY',
  /** A patient's phone and e-mail. */
  'CONTACT',
  /** The mother's physical health: vitals, sleep, warning signs. */
  'MATERNAL',
  /** Mood and screening questionnaires. */
  'MENTAL_HEALTH',
  /** Infant feeding and diapers. */
  'FEEDING',
  /** The infant's identity and health. */
  'INFANT',
  /** Who is on the care team. */
  'CARE_TEAM',
  /** The category of the record the field belongs to (a status update's data takes its kind's category). */
  'BY_RECORD',
] as const;

/** One of {@link DATA_CATEGORIES}. */
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** Categories that are about one patient and need a relation to her. */
export const PATIENT_DATA_CATEGORIES: ReadonlySet<DataCategory> = new Set([
  'IDENTITY',
  'CONTACT',
  'MATERNAL',
  'MENTAL_HEALTH',
  'FEEDING',
  'INFANT',
  'CARE_TEAM',
]);

/** The category of each kind of status update. */
export const STATUS_KIND_CATEGORY: Readonly<Record<StatusKind, DataCategory>> = {
  MOOD: 'MENTAL_HEALTH',
  SCREENING: 'MENTAL_HEALTH',
  FEEDING: 'FEEDING',
  SLEEP: 'MATERNAL',
  VITALS: 'MATERNAL',
  SYMPTOMS: 'MATERNAL',
  INFANT_VITALS: 'INFANT',
};

const ALL_PATIENT_CATEGORIES = [...PATIENT_DATA_CATEGORIES];

/**
 * Which patient-data categories each care-team role may read for the patients it is assigned to:
 * the minimum necessary for the job (HIPAA 164.502(b)). Mental-health data reaches the GP, the
 * midwife (who runs the postnatal EPDS), the mental-health specialist and the coordinator, not the
 * lactation consultant.
 */
export const CARE_TEAM_ROLE_CATEGORIES: Readonly<Record<ClinicalRole, ReadonlySet<DataCategory>>> = {
  PRIMARY_CARE_PROVIDER: new Set(ALL_PATIENT_CATEGORIES),
  CARE_COORDINATOR: new Set(ALL_PATIENT_CATEGORIES),
  MIDWIFE: new Set(ALL_PATIENT_CATEGORIES),
  MENTAL_HEALTH_SPECIALIST: new Set(['IDENTITY', 'CONTACT', 'MENTAL_HEALTH', 'MATERNAL', 'CARE_TEAM']),
  LACTATION_CONSULTANT: new Set(['IDENTITY', 'CONTACT', 'FEEDING', 'INFANT', 'CARE_TEAM']),
};

/** What a clinician may read under break-glass emergency access: everything clinical, for a limited time. */
export const EMERGENCY_CATEGORIES: ReadonlySet<DataCategory> = new Set(ALL_PATIENT_CATEGORIES);

/** What a patient may read of her own record: everything. */
export const SELF_CATEGORIES: ReadonlySet<DataCategory> = new Set(ALL_PATIENT_CATEGORIES);

/**
 * What an ADMIN may read of any patient in its tenant, to administer care teams: who she is and
 * who cares for her, no clinical data.
 */
export const ADMIN_CATEGORIES: ReadonlySet<DataCategory> = new Set(['IDENTITY', 'CARE_TEAM']);
