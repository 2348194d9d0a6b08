import { KEMPublicKey, PublicKey } from '@signalapp/libsignal-client';
import { BadInputError } from '../../errors.js';

/**
 * Checks of what clients upload to the key directory: strict base64, the exact lengths libsignal
 * uses, keys that libsignal can parse, and prekey signatures that verify against the identity key.
 * Everything here is pure (no I/O); a failure is BAD_USER_INPUT naming the input path.
 */

/** A serialized Curve25519 public key: a type byte (0x05) and 32 bytes. */
export const EC_PUBLIC_KEY_BYTES = 33;
/** A serialized Kyber-1024 (ML-KEM) public key: a type byte and 1568 bytes. */
export const KYBER_PUBLIC_KEY_BYTES = 1569;
/** An XEdDSA signature. */
export const SIGNATURE_BYTES = 64;
/** Lowest device id libsignal accepts. */
export const MIN_DEVICE_ID = 1;
/** Highest device id libsignal accepts. */
export const MAX_DEVICE_ID = 127;
/** Largest registration id (14 bits), as libsignal generates them. */
export const MAX_REGISTRATION_ID = 0x3fff;
/** Largest prekey id (24 bits, as Signal's clients use them). */
export const MAX_PRE_KEY_ID = 0xffffff;
/** Signal message types the mailbox carries: 2 Whisper (an established session), 3 PreKey (the first). */
export const ENVELOPE_TYPES = [2, 3] as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict (padded, standard-alphabet) base64, or throws BAD_USER_INPUT naming `field`. */
export function decodeBase64(value: string, field: string, expected: string): Buffer {
  if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) throw BadInputError.encoding(field, expected);
  return Buffer.from(value, 'base64');
}

/** Decodes and parses a serialized EC public key. */
export function checkEcPublicKey(value: string, field: string): { bytes: Buffer; key: PublicKey } {
  const bytes = decodeBase64(value, field, `a ${EC_PUBLIC_KEY_BYTES}-byte public key`);
  if (bytes.length !== EC_PUBLIC_KEY_BYTES) throw BadInputError.encoding(field, `a ${EC_PUBLIC_KEY_BYTES}-byte public key`);
  try {
    return { bytes, key: PublicKey.deserialize(new Uint8Array(bytes)) };
  } catch {
    throw BadInputError.encoding(field, `a ${EC_PUBLIC_KEY_BYTES}-byte public key`);
  }
}

/** Decodes and parses a serialized Kyber public key. */
export function checkKyberPublicKey(value: string, field: string): Buffer {
  const bytes = decodeBase64(value, field, `a ${KYBER_PUBLIC_KEY_BYTES}-byte Kyber public key`);
  if (bytes.length !== KYBER_PUBLIC_KEY_BYTES) throw BadInputError.encoding(field, `a ${KYBER_PUBLIC_KEY_BYTES}-byte Kyber public key`);
  try {
    KEMPublicKey.deserialize(new Uint8Array(bytes));
  } catch {
    throw BadInputError.encoding(field, `a ${KYBER_PUBLIC_KEY_BYTES}-byte Kyber public key`);
  }
  return bytes;
}

/** Decodes a signature and verifies it over `signed` with the identity key. */
export function checkSignature(identityKey: PublicKey, signed: Buffer, value: string, field: string, keyField: string): Buffer {
  const signature = decodeBase64(value, field, `a ${SIGNATURE_BYTES}-byte signature`);
  if (signature.length !== SIGNATURE_BYTES) throw BadInputError.encoding(field, `a ${SIGNATURE_BYTES}-byte signature`);
  if (!identityKey.verify(new Uint8Array(signed), new Uint8Array(signature))) throw BadInputError.preKeySignature(keyField);
  return signature;
}

/** Checks a whole number within bounds. */
export function checkInt(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw BadInputError.field(field, `${field} must be a whole number from ${min} to ${max}.`);
  return value;
}

/** Checks a device id (1–127). */
export function checkDeviceId(value: number, field: string): number {
  return checkInt(value, MIN_DEVICE_ID, MAX_DEVICE_ID, field);
}

/** A prekey as clients upload it. */
export interface PreKeyUpload {
  readonly id: number;
  readonly publicKey: string;
}

/** A signed prekey (EC or Kyber) as clients upload it. */
export interface SignedPreKeyUpload extends PreKeyUpload {
  readonly signature: string;
}

/** A checked EC prekey, ready to store. */
export interface CheckedPreKey {
  readonly id: number;
  readonly publicKey: Buffer;
}

/** A checked signed prekey, ready to store. */
export interface CheckedSignedPreKey extends CheckedPreKey {
  readonly signature: Buffer;
}

/** Checks a one-time EC prekey. */
export function checkPreKey(input: PreKeyUpload, field: string): CheckedPreKey {
  return { id: checkInt(input.id, 0, MAX_PRE_KEY_ID, `${field}.id`), publicKey: checkEcPublicKey(input.publicKey, `${field}.publicKey`).bytes };
}

/** Checks a signed EC prekey and its signature. */
export function checkSignedPreKey(identityKey: PublicKey, input: SignedPreKeyUpload, field: string): CheckedSignedPreKey {
  const id = checkInt(input.id, 0, MAX_PRE_KEY_ID, `${field}.id`);
  const publicKey = checkEcPublicKey(input.publicKey, `${field}.publicKey`).bytes;
  return { id, publicKey, signature: checkSignature(identityKey, publicKey, input.signature, `${field}.signature`, field) };
}

/** Checks a signed Kyber prekey and its signature. */
export function checkKyberPreKey(identityKey: PublicKey, input: SignedPreKeyUpload, field: string): CheckedSignedPreKey {
  const id = checkInt(input.id, 0, MAX_PRE_KEY_ID, `${field}.id`);
  const publicKey = checkKyberPublicKey(input.publicKey, `${field}.publicKey`);
  return { id, publicKey, signature: checkSignature(identityKey, publicKey, input.signature, `${field}.signature`, field) };
}

/** Checks that ids in a batch are distinct, naming the first repeat. */
export function checkDistinctIds(keys: readonly { id: number }[], field: string): void {
  const seen = new Set<number>();
  keys.forEach((key, i) => {
    if (seen.has(key.id)) throw BadInputError.field(`${field}[${i}].id`, `${field}[${i}].id repeats an id of the same batch.`);
    seen.add(key.id);
  });
}
