import { defineEntity, p } from '@mikro-orm/core';

/** A patient's baby. */
export const InfantEntity = defineEntity({
  name: 'Infant',
  tableName: 'infant',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().index(),
    patientId: p.uuid().index(),
    givenName: p.string().length(200),
    /** ISO date (YYYY-MM-DD). */
    birthDate: p.string().columnType('date'),
    birthWeightGrams: p.integer(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

/** An infant row. */
export class Infant extends InfantEntity.class {}
InfantEntity.setClass(Infant);
