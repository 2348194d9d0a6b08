import type { Configuration, EntityData, EntityMetadata, FilterQuery, NativeInsertUpdateManyOptions, NativeInsertUpdateOptions, QueryResult } from '@mikro-orm/core';
import { PostgreSqlConnection, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ENCRYPTED_BY_ENTITY, type EncryptedEntity } from './encrypted-fields.js';
import { FieldDecryptionError, isSealed, openValue, sealedKeyId, sealValue } from './field-cipher.js';
import type { FieldKeyRing } from './field-key-ring.js';

type Row = Record<string, unknown>;

/** Collects the data-key ids of every ciphertext in a query result (rows, a row, or a write result). */
function keyIdsIn(result: unknown, into: Set<string>): void {
  if (Array.isArray(result)) {
    for (const row of result) keyIdsIn(row, into);
    return;
  }
  if (result === null || typeof result !== 'object') return;
  for (const value of Object.values(result as Row)) {
    const id = sealedKeyId(value);
    if (id) into.add(id);
    else if (Array.isArray(value) || (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value))) keyIdsIn(value, into);
  }
}

/**
 * Decrypts the encrypted properties of one mapped row in place. Legacy plaintext (written before
 * encryption, not yet re-encrypted by `keys:reencrypt`) passes through unchanged.
 */
export function decryptRow(ring: FieldKeyRing, spec: EncryptedEntity, row: Row): void {
  const recordId = row[spec.pkProp];
  for (const field of spec.fields) {
    const stored = row[field.prop];
    if (stored == null) continue;
    let text: string;
    if (isSealed(stored)) {
      const place = { table: spec.table, recordId: String(recordId ?? ''), column: field.column };
      if (recordId == null) throw new FieldDecryptionError(place, 'the primary key was not selected');
      text = openValue(stored, (id) => ring.keyById(id), place);
    } else if (typeof stored === 'string') {
      text = stored;
    } else {
      continue;
    }
    row[field.prop] = field.json ? JSON.parse(text) : text;
  }
}

/**
 * Encrypts the encrypted properties present in `data` (a copy is returned) for the row `recordId`
 * of `tenantId`, and adds the blind indexes of the indexed ones. `data` holds property names, as
 * MikroORM's driver methods receive it; JSON documents may come as objects or as JSON text.
 */
export async function encryptData(ring: FieldKeyRing, spec: EncryptedEntity, data: Row, tenantId: string, recordId: string, ctx?: unknown): Promise<Row> {
  const out: Row = { ...data };
  for (const field of spec.fields) {
    const value = out[field.prop];
    if (value == null || isSealed(value)) continue;
    const text = field.json && typeof value !== 'string' ? JSON.stringify(value) : String(value);
    const key = await ring.acquire(tenantId, ctx);
    out[field.prop] = sealValue(text, key, { tenantId, table: spec.table, recordId, column: field.column });
  }
  for (const index of spec.indexes) {
    if (!(index.source in data)) continue;
    const value = data[index.source];
    out[index.prop] = value == null ? null : isSealed(value) ? out[index.prop] : ring.blindIndex(index.kind, String(value), tenantId);
  }
  return out;
}

function touchesEncrypted(spec: EncryptedEntity, data: Row): boolean {
  return spec.fields.some((f) => data[f.prop] != null && !isSealed(data[f.prop]));
}

/**
 * A PostgreSQL driver (for PostgreSQL and PGlite alike) that keeps PHI columns encrypted at rest
 * while the ORM above it, its identity map and change tracking included, sees plaintext:
 *
 * - every write (`nativeInsert`, `nativeInsertMany`, `nativeUpdate`, `nativeUpdateMany`: the unit
 *   of work's flushes and direct calls alike) encrypts a copy of the data, binding tenant, table,
 *   primary key and column, and writes the blind indexes;
 * - every read (`mapResult`, the one place rows become entity data) decrypts, with the data keys
 *   its connection loaded (asynchronously, before the rows were mapped) from the ciphertexts' key ids.
 *
 * A MikroORM custom type alone cannot do this (it does not know the row); lifecycle hooks would
 * leave ciphertext in the change-tracking snapshots. Raw SQL (`em.execute`) bypasses both: code
 * reading or writing encrypted columns that way seals and opens values itself (see
 * `auth/totp.service.ts`), and `EncryptedTextType` refuses plaintext parameters for those columns.
 */
export function encryptingDriver(ring: FieldKeyRing): typeof PostgreSqlDriver {
  class EncryptingConnection extends PostgreSqlConnection {
    constructor(...args: ConstructorParameters<typeof PostgreSqlConnection>) {
      super(...args);
      ring.attach((sql, params, ctx) => super.execute(sql, params, 'all', ctx as never));
    }

    override async execute<T extends QueryResult | EntityData<object> | EntityData<object>[] = EntityData<object>[]>(
      ...args: Parameters<PostgreSqlConnection['execute']>
    ): Promise<T> {
      const result = await super.execute<T>(...args);
      const ids = new Set<string>();
      keyIdsIn(result, ids);
      if (ids.size > 0) await ring.ensureLoaded(ids, args[3]);
      return result;
    }
  }

  class EncryptingPostgreSqlDriver extends PostgreSqlDriver {
    constructor(config: Configuration) {
      super(config);
      // The base class builds a plain connection; reads must load data keys before rows are mapped.
      (this as unknown as { connection: PostgreSqlConnection }).connection = new EncryptingConnection(this.config);
    }

    /** The key ring of this database (blind indexes, sealing values for raw SQL). */
    get fieldKeyRing(): FieldKeyRing {
      return ring;
    }

    override mapResult<T extends object>(result: EntityData<T>, meta?: EntityMetadata<T>, ...rest: unknown[]): EntityData<T> | null {
      const mapped = (super.mapResult as (...a: unknown[]) => EntityData<T> | null)(result, meta, ...rest);
      const spec = meta ? ENCRYPTED_BY_ENTITY.get(meta.className) : undefined;
      if (mapped && spec) decryptRow(ring, spec, mapped as Row);
      return mapped;
    }

    override async nativeInsert<T extends object>(entityName: never, data: EntityData<T>, options?: NativeInsertUpdateOptions<T>): Promise<QueryResult<T>> {
      const spec = this.specOf(entityName);
      const sealed = spec ? await this.sealInsert(spec, data as Row, options?.ctx) : data;
      return super.nativeInsert(entityName, sealed as EntityData<T>, options);
    }

    override async nativeInsertMany<T extends object>(entityName: never, data: EntityData<T>[], options?: NativeInsertUpdateManyOptions<T>, transform?: never): Promise<QueryResult<T>> {
      const spec = this.specOf(entityName);
      const sealed: EntityData<T>[] = [];
      for (const row of data) sealed.push(spec ? ((await this.sealInsert(spec, row as Row, options?.ctx)) as EntityData<T>) : row);
      return super.nativeInsertMany(entityName, sealed as EntityData<T>[], options, transform);
    }

    override async nativeUpdate<T extends object>(entityName: never, where: FilterQuery<T>, data: EntityData<T>, options?: NativeInsertUpdateOptions<T> & { upsert?: boolean }): Promise<QueryResult<T>> {
      const spec = this.specOf(entityName);
      if (!spec || !touchesEncrypted(spec, data as Row)) return super.nativeUpdate(entityName, where, data, options);
      const recordId = this.recordIdOf(spec, where);
      const tenantId = (data as Row)['tenantId'] ?? (await this.tenantOf(spec, recordId, options?.ctx));
      const sealed = await encryptData(ring, spec, data as Row, String(tenantId), recordId, options?.ctx);
      return super.nativeUpdate(entityName, where, sealed as EntityData<T>, options);
    }

    override async nativeUpdateMany<T extends object>(entityName: never, where: FilterQuery<T>[], data: EntityData<T>[], options?: NativeInsertUpdateManyOptions<T>, transform?: never): Promise<QueryResult<T>> {
      const spec = this.specOf(entityName);
      if (!spec || !data.some((row) => touchesEncrypted(spec, row as Row))) return super.nativeUpdateMany(entityName, where, data, options, transform);
      const sealed: EntityData<T>[] = [];
      for (let i = 0; i < data.length; i++) {
        const row = data[i] as Row;
        if (!touchesEncrypted(spec, row)) {
          sealed.push(data[i]!);
          continue;
        }
        const recordId = this.recordIdOf(spec, where[i]);
        const tenantId = row['tenantId'] ?? (await this.tenantOf(spec, recordId, options?.ctx));
        sealed.push((await encryptData(ring, spec, row, String(tenantId), recordId, options?.ctx)) as EntityData<T>);
      }
      return super.nativeUpdateMany(entityName, where, sealed, options, transform);
    }

    private specOf(entityName: unknown): EncryptedEntity | undefined {
      return ENCRYPTED_BY_ENTITY.get(this.metadata.get(entityName as never).className);
    }

    private async sealInsert(spec: EncryptedEntity, row: Row, ctx: unknown): Promise<Row> {
      const recordId = row[spec.pkProp];
      const tenantId = row['tenantId'];
      if (!touchesEncrypted(spec, row) && !spec.indexes.some((i) => i.source in row)) return row;
      if (typeof recordId !== 'string' || typeof tenantId !== 'string') {
        throw new Error(`Inserting into ${spec.table} with encrypted columns needs its ${spec.pkProp} and tenantId`);
      }
      return encryptData(ring, spec, row, tenantId, recordId, ctx);
    }

    /** The primary key an update addresses: encrypted columns can only be written one record at a time. */
    private recordIdOf(spec: EncryptedEntity, where: unknown): string {
      const id = typeof where === 'string' ? where : where && typeof where === 'object' ? (where as Row)[spec.pkProp] : undefined;
      if (typeof id !== 'string') throw new Error(`Encrypted columns of ${spec.table} can only be updated by primary key (${spec.pkProp})`);
      return id;
    }

    private async tenantOf(spec: EncryptedEntity, recordId: string, ctx: unknown): Promise<string> {
      const [row] = await this.connection.execute<Row[]>(`select "tenant_id" from "${spec.table}" where "${spec.pkColumn}" = ?`, [recordId], 'all', ctx as never);
      if (!row) throw new Error(`No ${spec.table} record to update`);
      return String(row['tenant_id']);
    }
  }

  return EncryptingPostgreSqlDriver;
}
