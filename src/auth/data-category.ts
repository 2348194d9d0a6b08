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
  /**
   * Messaging metadata: devices, public keys, envelopes (sender, recipient, time, ciphertext). Owned
   * by users, not patients: services check ownership and who may message whom.
   */
  'MESSAGING',
  /** The audit trail and compliance events: who touched which fields of whom, when and why; never the values. */
  'AUDIT',
  /**
   * Anonymised aggregates for research: counts and statistics over groups of at least k consenting
   * patients, never an individual's data (`src/research`).
   */
  'DEIDENTIFIED',
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
 * The most an ADMIN may ever be given of a patient (`setRolePermissions`): who she is, how to reach
 * her and who cares for her, never clinical data. The database enforces the same limit.
 */
export const ADMIN_PERMITTABLE_CATEGORIES: ReadonlySet<DataCategory> = new Set(['IDENTITY', 'CONTACT', 'CARE_TEAM']);

/** What a clinician may read under break-glass emergency access: everything clinical, for a limited time. */
export const EMERGENCY_CATEGORIES: ReadonlySet<DataCategory> = new Set(ALL_PATIENT_CATEGORIES);

/** What a patient may read of her own record: everything. */
export const SELF_CATEGORIES: ReadonlySet<DataCategory> = new Set(ALL_PATIENT_CATEGORIES);
