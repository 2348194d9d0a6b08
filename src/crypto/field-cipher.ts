import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The pure core of field-level encryption at rest: AES-256-GCM over one column value, with a
 * random 96-bit nonce and the value's place (tenant, table, record id, column) as associated
 * data, so a ciphertext copied to another row, column or tenant fails to decrypt.
 *
 * Stored form (text, ASCII): `v1.<dataKeyId>.<nonce>.<ciphertext+tag>`, the last two base64url.
 * The data key id says which key encrypted the value, so rotation can re-encrypt old values while
 * they stay readable. Anything not in this form is a legacy plaintext value written before
 * encryption was introduced (see {@link isSealed}); `keys:reencrypt` encrypts those.
 */

/** Version tag at the start of every stored ciphertext. */
export const SEALED_VERSION = 'v1';

/** AES-256 key length, in bytes. */
export const DATA_KEY_BYTES = 32;

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

/** Where a value lives: bound into its ciphertext as associated data. */
export interface FieldPlace {
  readonly tenantId: string;
  /** Table name, e.g. `patient`. */
  readonly table: string;
  /** The row's primary key. */
  readonly recordId: string;
  /** Column name, e.g. `given_name`. */
  readonly column: string;
}

/** A data key in the clear (only ever in memory). */
export interface DataKey {
  readonly id: string;
  /** The tenant whose values it encrypts. */
  readonly tenantId: string;
  /** 32 bytes. */
  readonly key: Buffer;
}

/** Thrown when a value cannot be decrypted: wrong key, tampered, or moved to another place. Never carries the value. */
export class FieldDecryptionError extends Error {
  constructor(readonly place: Omit<FieldPlace, 'tenantId'>, reason: string) {
    super(`Cannot decrypt ${place.table}.${place.column} of record ${place.recordId}: ${reason}`);
    this.name = 'FieldDecryptionError';
  }
}

/** The associated data of a value: every component of its place, length-delimited. */
export function associatedData(place: FieldPlace): Buffer {
  const parts = ['cradle-field', SEALED_VERSION, place.tenantId, place.table, place.recordId, place.column];
  return Buffer.from(parts.map((p) => `${p.length}:${p}`).join('|'), 'utf8');
}

/** Whether a stored value is a ciphertext of this format (otherwise it is legacy plaintext). */
export function isSealed(stored: unknown): stored is string {
  return typeof stored === 'string' && stored.startsWith('v1.') && SEALED.test(stored);
}

/** The data key id of a stored ciphertext, or null for legacy plaintext. */
export function sealedKeyId(stored: unknown): string | null {
  if (typeof stored !== 'string' || !stored.startsWith('v1.')) return null;
  return SEALED.exec(stored)?.[1] ?? null;
}

/** Encrypts a UTF-8 value for its place under a data key of its tenant. */
export function sealValue(plaintext: string, key: DataKey, place: FieldPlace): string {
  if (key.tenantId !== place.tenantId) throw new Error(`Data key ${key.id} does not belong to the tenant of ${place.table}.${place.column}`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(place));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_VERSION}.${key.id}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

/**
 * Decrypts a stored ciphertext. `keyOf` returns the data key of an id (or null when unknown); the
 * key's tenant is the tenant bound into the associated data. Throws {@link FieldDecryptionError}
 * when the key is unknown or authentication fails (tampering, a value moved elsewhere, wrong key).
 */
export function openValue(stored: string, keyOf: (id: string) => DataKey | null, place: Omit<FieldPlace, 'tenantId'>): string {
  const match = SEALED.exec(stored);
  if (!match) throw new FieldDecryptionError(place, 'not a ciphertext');
  const key = keyOf(match[1]!);
  if (!key) throw new FieldDecryptionError(place, `data key ${match[1]} is not available (wrong key-encryption key, or the key was not loaded)`);
  const nonce = Buffer.from(match[2]!, 'base64url');
  const body = Buffer.from(match[3]!, 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new FieldDecryptionError(place, 'malformed ciphertext');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData({ ...place, tenantId: key.tenantId }));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new FieldDecryptionError(place, 'authentication failed (tampered, moved to another row or column, or wrong key)');
  }
}
