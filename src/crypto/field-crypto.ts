import type { EntityManager } from '@mikro-orm/core';
import { ENCRYPTED_BY_ENTITY } from './encrypted-fields.js';
import { isSealed, openValue, sealValue } from './field-cipher.js';
import type { FieldKeyRing } from './field-key-ring.js';
import type { BlindIndexKind } from './blind-index.js';

/**
 * Field encryption for code that needs it outside the ORM's own reads and writes: the blind index
 * of a value to look a record up by, and sealing/opening values for raw SQL. The key ring comes
 * from the EntityManager's driver (one ring per database), so nothing is global.
 */

/** The key ring of the database behind an EntityManager. */
export function fieldKeysOf(em: EntityManager): FieldKeyRing {
  const ring = (em.getDriver() as unknown as { fieldKeyRing?: FieldKeyRing }).fieldKeyRing;
  if (!ring) throw new Error('This EntityManager is not backed by the encrypting driver (db/orm.ts)');
  return ring;
}

/** The keyed blind index of a value (`email` installation-wide, `mrn` per tenant), for exact-match lookup. */
export function blindIndexOf(em: EntityManager, kind: BlindIndexKind, value: string, tenantId: string | null = null): string {
  return fieldKeysOf(em).blindIndex(kind, value, tenantId);
}

function fieldOf(entity: string, prop: string) {
  const spec = ENCRYPTED_BY_ENTITY.get(entity);
  const field = spec?.fields.find((f) => f.prop === prop);
  if (!spec || !field) throw new Error(`${entity}.${prop} is not an encrypted field`);
  return { spec, field };
}

/**
 * Encrypts a value for raw SQL that writes an encrypted column (e.g. an upsert the ORM cannot
 * express), within the EntityManager's transaction if it has one.
 */
export async function sealForSql(em: EntityManager, entity: string, prop: string, place: { tenantId: string; recordId: string }, value: string): Promise<string> {
  const { spec, field } = fieldOf(entity, prop);
  const key = await fieldKeysOf(em).acquire(place.tenantId, em.getTransactionContext());
  return sealValue(value, key, { tenantId: place.tenantId, table: spec.table, recordId: place.recordId, column: field.column });
}

/** Decrypts a value raw SQL read from an encrypted column (legacy plaintext passes through). */
export function openFromSql(em: EntityManager, entity: string, prop: string, recordId: string, stored: string): string {
  if (!isSealed(stored)) return stored;
  const { spec, field } = fieldOf(entity, prop);
  const ring = fieldKeysOf(em);
  return openValue(stored, (id) => ring.keyById(id), { table: spec.table, recordId, column: field.column });
}
