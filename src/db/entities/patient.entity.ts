import { defineEntity, p } from '@mikro-orm/core';

/**
 * A mother under postnatal care. Identity and contact columns are PHI: they are never logged and
 * reach clients only through fields whose `@auth` rule allows them.
 */
export const PatientEntity = defineEntity({
  name: 'Patient',
  tableName: 'patient',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().index(),
    /** The patient's own login, when she has one. */
    userId: p.uuid().nullable().unique(),
    givenName: p.string().length(200),
    familyName: p.string().length(200),
    /** ISO date (YYYY-MM-DD). */
    birthDate: p.string().columnType('date'),
    /** ISO date (YYYY-MM-DD) of delivery. */
    deliveryDate: p.string().columnType('date'),
    mrn: p.string().length(64).nullable(),
    phone: p.string().length(40).nullable(),
    email: p.string().length(320).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    createdBy: p.uuid(),
  },
});

/** A patient row. */
export class Patient extends PatientEntity.class {}
PatientEntity.setClass(Patient);
