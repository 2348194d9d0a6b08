import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/**
 * A mother under postnatal care. Identity and contact columns are PHI: they are never logged,
 * reach clients only through fields whose `@auth` rule allows them, and are encrypted at rest
 * (`crypto/encrypted-fields.ts`: the entity holds plaintext, the database ciphertext). `mrnIndex`
 * is the MRN's keyed blind index (per tenant), for exact-match lookup.
 */
export const PatientEntity = defineEntity({
  name: 'Patient',
  tableName: 'patient',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().index(),
    /** The patient's own login, when she has one. */
    userId: p.uuid().nullable().unique(),
    givenName: p.string().type(EncryptedTextType),
    familyName: p.string().type(EncryptedTextType),
    /** ISO date (YYYY-MM-DD); encrypted, so never filtered or sorted in SQL. */
    birthDate: p.string().type(EncryptedTextType),
    /** ISO date (YYYY-MM-DD) of delivery. */
    deliveryDate: p.string().type(EncryptedTextType),
    mrn: p.string().type(EncryptedTextType).nullable(),
    /** Blind index of `mrn`, written by the encrypting driver. */
    mrnIndex: p.string().columnType('text').nullable().hidden(),
    phone: p.string().type(EncryptedTextType).nullable(),
    email: p.string().type(EncryptedTextType).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    createdBy: p.uuid(),
  },
});

/** A patient row. */
export class Patient extends PatientEntity.class {}
PatientEntity.setClass(Patient);
