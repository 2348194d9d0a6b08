import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/** The roles of shared/API.md. A role is a user's job in the tenant, not a care-team assignment. */
export const ROLES = [
  'PATIENT',
  'PRIMARY_CARE_PROVIDER',
  'MIDWIFE',
  'LACTATION_CONSULTANT',
  'MENTAL_HEALTH_SPECIALIST',
  'CARE_COORDINATOR',
  'RESEARCHER',
  'COMPLIANCE_OFFICER',
  'ADMIN',
] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** The roles that deliver care and can sit on a patient's care team. */
export const CLINICAL_ROLES = [
  'PRIMARY_CARE_PROVIDER',
  'MIDWIFE',
  'LACTATION_CONSULTANT',
  'MENTAL_HEALTH_SPECIALIST',
  'CARE_COORDINATOR',
] as const satisfies readonly Role[];

/** One of {@link CLINICAL_ROLES}. */
export type ClinicalRole = (typeof CLINICAL_ROLES)[number];

/**
 * A person who signs in. E-mail addresses are unique per tenant (so no answer about an address
 * crosses tenants); sign-in, which has no tenant field, tries each account with the address. E-mail
 * and display name (a patient's is her name) are encrypted at rest; `emailIndex`, the e-mail's
 * installation-wide keyed blind index written by the encrypting driver, carries the uniqueness
 * (with the tenant) and the sign-in lookup.
 */
export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'app_user',
  uniques: [{ properties: ['tenantId', 'emailIndex'] }],
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().index(),
    email: p.string().type(EncryptedTextType),
    emailIndex: p.string().columnType('text').nullable().index().hidden(),
    passwordHash: p.string().length(200),
    role: p.enum(() => [...ROLES]).columnType('text'),
    displayName: p.string().type(EncryptedTextType),
    createdAt: p.datetime().onCreate(() => new Date()),
    disabledAt: p.datetime().nullable(),
  },
});

/** A user row. Its password hash never leaves the auth module. */
export class User extends UserEntity.class {}
UserEntity.setClass(User);
