import { ENCRYPTED_ENTITIES, type EncryptedEntity } from './encrypted-fields.js';
import { isSealed, openValue, sealedKeyId, sealValue } from './field-cipher.js';
import { wrapContext, type FieldKeyRing, type RawExecutor } from './field-key-ring.js';

/**
 * Key rotation, run by the `cradle` command line while servers keep serving:
 *
 * - {@link rotateKeyEncryptionKey} (`keys:rotate-kek`) re-wraps every data key under the current
 *   KEK. Start servers with the new key as `CRADLE_KEK` and the old one in `CRADLE_KEK_PREVIOUS`
 *   first; once the command reports nothing left under the old KEK, drop `CRADLE_KEK_PREVIOUS`.
 * - {@link reencryptFields} (`keys:reencrypt`) retires the current data keys and re-encrypts every
 *   value under new ones, in batches, recording its progress per table so an interrupted run
 *   resumes where it stopped. Legacy plaintext (rows from before encryption) is encrypted, and
 *   blind indexes filled, by the same pass. Retired keys stay readable (they are never deleted).
 */

/** What `keys:rotate-kek` did. */
export interface KekRotationResult {
  /** The KEK every data key is now wrapped by. */
  readonly kekId: string;
  readonly rewrapped: number;
  /** Keys whose KEK is not configured (add it to `CRADLE_KEK_PREVIOUS` and run again). */
  readonly unreadable: number;
}

/** Re-wraps, one row at a time (each a conditional update), every data key not yet under the current KEK. */
export async function rotateKeyEncryptionKey(ring: FieldKeyRing): Promise<KekRotationResult> {
  const sql = ring.rawSql;
  const current = ring.keks.current;
  const rows = await sql(`select "id", "tenant_id", "purpose", "kek_id", "wrapped_key" from "field_data_key" where "kek_id" <> ? order by "created_at", "id"`, [current.id]);
  let rewrapped = 0;
  let unreadable = 0;
  for (const row of rows) {
    const keyRow = { id: String(row['id']), tenant_id: row['tenant_id'] == null ? null : String(row['tenant_id']), purpose: String(row['purpose']) };
    const previous = ring.keks.get(String(row['kek_id']));
    if (!previous) {
      unreadable++;
      continue;
    }
    const plain = await previous.unwrap(String(row['wrapped_key']), wrapContext(keyRow));
    const wrapped = await current.wrap(plain, wrapContext(keyRow));
    const updated = await sql(`update "field_data_key" set "kek_id" = ?, "wrapped_key" = ? where "id" = ? and "kek_id" = ? returning "id"`, [current.id, wrapped, keyRow.id, row['kek_id']]);
    rewrapped += updated.length;
  }
  return { kekId: current.id, rewrapped, unreadable };
}

/** Options of {@link reencryptFields}. */
export interface ReencryptOptions {
  /** Rows per batch (one query and its updates). */
  readonly batchSize: number;
  /** Stop after this many batches (the run resumes on the next call); unlimited when absent. */
  readonly maxBatches?: number;
}

/** What one `keys:reencrypt` call did. */
export interface ReencryptResult {
  /** Values encrypted under the new data keys by this call (legacy plaintext included). */
  readonly reencrypted: number;
  /** Whether every table is done (the progress markers are then removed). */
  readonly finished: boolean;
}

const DONE = 'done';

async function retiredKeyIds(sql: RawExecutor): Promise<Set<string>> {
  const rows = await sql(`select "id" from "field_data_key" where "purpose" = 'DATA' and "retired_at" is not null`, []);
  return new Set(rows.map((r) => String(r['id'])));
}

/**
 * Re-encrypts every encrypted value under new data keys, resumably. The first call of a run
 * retires the current data keys and writes a progress marker per table; each batch reads rows
 * after the marker in primary-key order, re-encrypts values that are legacy plaintext or under a
 * retired key, writes each row with a conditional update (a row changed meanwhile by the
 * application already holds fresh ciphertext and is left alone), then moves the marker.
 */
export async function reencryptFields(ring: FieldKeyRing, options: ReencryptOptions): Promise<ReencryptResult> {
  const sql = ring.rawSql;
  const progress = new Map((await sql(`select "table_name", "last_id" from "field_reencryption_progress"`, [])).map((r) => [String(r['table_name']), String(r['last_id'])]));
  if (progress.size === 0) {
    await sql(`update "field_data_key" set "retired_at" = now() where "purpose" = 'DATA' and "retired_at" is null`, []);
    for (const spec of ENCRYPTED_ENTITIES) {
      await sql(`insert into "field_reencryption_progress" ("table_name", "last_id") values (?, '') on conflict do nothing`, [spec.table]);
      progress.set(spec.table, '');
    }
  }
  ring.forgetCurrentKeys();
  const retired = await retiredKeyIds(sql);
  let reencrypted = 0;
  let batches = 0;
  for (const spec of ENCRYPTED_ENTITIES) {
    let last = progress.get(spec.table) ?? '';
    while (last !== DONE) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) return { reencrypted, finished: false };
      const { count, next } = await reencryptBatch(ring, sql, spec, last, options.batchSize, retired);
      reencrypted += count;
      batches++;
      last = next ?? DONE;
      await sql(`update "field_reencryption_progress" set "last_id" = ?, "updated_at" = now() where "table_name" = ?`, [last, spec.table]);
    }
  }
  await sql(`delete from "field_reencryption_progress"`, []);
  return { reencrypted, finished: true };
}

/**
 * Encrypts the legacy plaintext of tables a migration queued in `field_encryption_backfill`
 * (a column that became encrypted after rows were written: SQL cannot seal them, the keys live in
 * the application). Run by `openDatabase` once the key ring has started; each batch moves the
 * table's marker, so a run cut short resumes, and each row is written with a conditional update,
 * so instances starting together do no harm. Values already sealed are left as they are.
 *
 * @returns how many values it sealed
 */
export async function encryptQueuedColumns(ring: FieldKeyRing, batchSize = 500): Promise<number> {
  const sql = ring.rawSql;
  const queued = await sql(`select "table_name", "last_id" from "field_encryption_backfill" order by "table_name"`, []);
  let sealed = 0;
  for (const row of queued) {
    const table = String(row['table_name']);
    const spec = ENCRYPTED_ENTITIES.find((e) => e.table === table);
    let last: string | null = String(row['last_id']);
    while (spec && last !== null) {
      const { count, next } = await reencryptBatch(ring, sql, spec, last, batchSize, new Set());
      sealed += count;
      last = next;
      if (next !== null) await sql(`update "field_encryption_backfill" set "last_id" = ? where "table_name" = ?`, [next, table]);
    }
    await sql(`delete from "field_encryption_backfill" where "table_name" = ?`, [table]);
  }
  return sealed;
}

async function reencryptBatch(
  ring: FieldKeyRing,
  sql: RawExecutor,
  spec: EncryptedEntity,
  after: string,
  batchSize: number,
  retired: ReadonlySet<string>,
): Promise<{ count: number; next: string | null }> {
  const columns = [spec.pkColumn, 'tenant_id', ...spec.fields.map((f) => f.column)].map((c) => `"${c}"`).join(', ');
  const rows = await sql(
    `select ${columns} from "${spec.table}" where "${spec.pkColumn}"::text > ? order by "${spec.pkColumn}"::text limit ?`,
    [after, batchSize],
  );
  await ring.ensureLoaded(rows.flatMap((row) => spec.fields.map((f) => sealedKeyId(row[f.column])).filter((id): id is string => id !== null)));
  let count = 0;
  for (const row of rows) {
    const recordId = String(row[spec.pkColumn]);
    const tenantId = String(row['tenant_id']);
    const sets: string[] = [];
    const params: unknown[] = [];
    const guards: string[] = [];
    const guardParams: unknown[] = [];
    const plain = new Map<string, string>();
    for (const field of spec.fields) {
      const stored = row[field.column];
      if (stored == null) continue;
      const text = isSealed(stored)
        ? openValue(stored, (id) => ring.keyById(id), { table: spec.table, recordId, column: field.column })
        : String(stored);
      plain.set(field.prop, text);
      const keyId = sealedKeyId(stored);
      if (keyId !== null && !retired.has(keyId)) continue;
      const key = await ring.acquire(tenantId);
      sets.push(`"${field.column}" = ?`);
      params.push(sealValue(text, key, { tenantId, table: spec.table, recordId, column: field.column }));
      guards.push(`"${field.column}" = ?`);
      guardParams.push(stored);
      count++;
    }
    for (const index of spec.indexes) {
      const source = plain.get(index.source);
      sets.push(`"${index.column}" = ?`);
      params.push(source === undefined ? null : ring.blindIndex(index.kind, source, tenantId));
    }
    if (guards.length === 0) continue;
    await sql(`update "${spec.table}" set ${sets.join(', ')} where "${spec.pkColumn}" = ? and ${guards.join(' and ')}`, [...params, recordId, ...guardParams]);
  }
  return { count, next: rows.length < batchSize ? null : String(rows[rows.length - 1]![spec.pkColumn]) };
}
