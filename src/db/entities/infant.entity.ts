import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/** A patient's baby. Her name and birth date are encrypted at rest (`crypto/encrypted-fields.ts`). */
export const InfantEntity = defineEntity({
  name: 'Infant',
  tableName: 'infant',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().index(),
    patientId: p.uuid().index(),
    givenName: p.string().type(EncryptedTextType),
    /** ISO date (YYYY-MM-DD); encrypted, so sorted in memory, never in SQL. */
    birthDate: p.string().type(EncryptedTextType),
    birthWeightGrams: p.integer(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

/** An infant row. */
export class Infant extends InfantEntity.class {}
InfantEntity.setClass(Infant);
