import type { BlindIndexKind } from './blind-index.js';

/** One encrypted column of an entity. */
export interface EncryptedField {
  /** Entity property name. */
  readonly prop: string;
  /** Column name (bound into the ciphertext as associated data, so it must never change). */
  readonly column: string;
  /** Whether the property holds a JSON document (encrypted as its JSON text). */
  readonly json?: boolean;
}

/** A keyed blind index kept beside an encrypted column, for exact-match lookup. */
export interface BlindIndexField {
  /** The encrypted property it indexes. */
  readonly source: string;
  /** The index property and column. */
  readonly prop: string;
  readonly column: string;
  readonly kind: BlindIndexKind;
}

/** An entity with encrypted columns. */
export interface EncryptedEntity {
  /** MikroORM entity name (`defineEntity({ name })`). */
  readonly entity: string;
  readonly table: string;
  /** Primary-key property and column (bound into the ciphertext). */
  readonly pkProp: string;
  readonly pkColumn: string;
  readonly fields: readonly EncryptedField[];
  readonly indexes: readonly BlindIndexField[];
}

/**
 * Every encrypted column of Cradle, and why (the PHI inventory of field encryption). Entities own
 * their property definitions (`p.….type(EncryptedTextType)`); this list tells the driver, the
 * rotation commands and the tests which columns to treat. A reviewer adding a PHI column adds it
 * here and in the entity; `test/crypto/encryption-at-rest.int.test.ts` dumps every table to check.
 *
 * Kept in plaintext on purpose: ids, tenant, timestamps, roles, kinds, consent categories and
 * versions (needed for access decisions and filtering; not PHI on their own).
 */
export const ENCRYPTED_ENTITIES: readonly EncryptedEntity[] = [
  {
    entity: 'Alert',
    table: 'alert',
    pkProp: 'id',
    pkColumn: 'id',
    fields: [{ prop: 'resolutionNote', column: 'resolution_note' }],
    indexes: [],
  },
  {
    // A coordinator's change note is free text and may name a patient or a case.
    entity: 'ProtocolVersion',
    table: 'protocol_version',
    pkProp: 'id',
    pkColumn: 'id',
    fields: [{ prop: 'changeNote', column: 'change_note' }],
    indexes: [],
  },
  {
    entity: 'FollowUpTask',
    table: 'follow_up_task',
    pkProp: 'id',
    pkColumn: 'id',
    fields: [{ prop: 'completionNote', column: 'completion_note' }],
    indexes: [],
  },
  {
    entity: 'Patient',
    table: 'patient',
    pkProp: 'id',
    pkColumn: 'id',
    fields: [
      { prop: 'givenName', column: 'given_name' },
      { prop: 'familyName', column: 'family_name' },
      { prop: 'birthDate', column: 'birth_date' },
      { prop: 'deliveryDate', column: 'delivery_date' },
      { prop: 'mrn', column: 'mrn' },
      { prop: 'phone', column: 'phone' },
      { prop: 'email', column: 'email' },
    ],
    indexes: [{ source: 'mrn', prop: 'mrnIndex', column: 'mrn_index', kind: 'mrn' }],
  },
  {
    entity: 'Infant',
    table: 'infant',
    pkProp: 'id',
    pkColumn: 'id',
    fields: [
      { prop: 'givenName', column: 'given_name' },
      { prop: 'birthDate', column: 'birth_date' },
    ],
    indexes: [],
  },
  {
    entity: 'User',
    table: 'app_user',
    pkProp: 'id',
    pkColumn: 'id',
    // A patient's login carries her name as display name.
    fields: [
      { prop: 'email', column: 'email' },
      { prop: 'displayName', column: 'display_name' },
    ],
    indexes: [{ source: 'email', prop: 'emailIndex', column: 'email_index', kind: 'email' }],
  },
  {
    entity: 'StatusUpdate',
    table: 'status_update',
    pkProp: 'id',
    pkColumn: 'id',
    fields: [{ prop: 'data', column: 'data', json: true }],
    indexes: [],
  },
  {
    entity: 'EmergencyAccess',
    table: 'emergency_access',
    pkProp: 'id',
    pkColumn: 'id',
    fields: [
      { prop: 'justification', column: 'justification' },
      { prop: 'reviewNote', column: 'review_note' },
    ],
    indexes: [],
  },
  {
    entity: 'TotpCredential',
    table: 'totp_credential',
    pkProp: 'userId',
    pkColumn: 'user_id',
    fields: [{ prop: 'secret', column: 'secret' }],
    indexes: [],
  },
];

/** The encrypted entities by entity name. */
export const ENCRYPTED_BY_ENTITY: ReadonlyMap<string, EncryptedEntity> = new Map(ENCRYPTED_ENTITIES.map((e) => [e.entity, e]));
