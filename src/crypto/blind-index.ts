import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Keyed blind indexes: HMAC-SHA256 of a normalised value, so an encrypted column can still be
 * found by exact match (login by e-mail, a patient by MRN) without storing anything a dictionary
 * attack on a database dump could reverse: without the index key the digest reveals nothing.
 *
 * One installation-wide index key (random, wrapped by the key-encryption key like the data keys)
 * is the root; each use gets its own subkey by HKDF-SHA256. E-mail addresses are unique across
 * the installation (login has no tenant field), so the e-mail subkey is installation-wide; the MRN
 * subkey is derived per tenant, so equal MRNs in two tenants do not link.
 */

/** Which normalisation and subkey a blind index uses. */
export type BlindIndexKind = 'email' | 'mrn';

/** The form in which e-mail addresses are compared: trimmed, lower case (as `auth/user.service.ts` stores them). */
export function normaliseEmailForIndex(email: string): string {
  return email.trim().toLowerCase();
}

/** MRNs compare trimmed, upper case, inner whitespace removed. */
export function normaliseMrnForIndex(mrn: string): string {
  return mrn.trim().toUpperCase().replace(/\s+/g, '');
}

/** Derives the subkey of a kind (and tenant, for per-tenant kinds) from the root index key. */
export function blindIndexSubkey(rootKey: Buffer, kind: BlindIndexKind, tenantId: string | null): Buffer {
  const info = kind === 'email' ? 'cradle-blind-index|email' : `cradle-blind-index|mrn|${tenantId ?? ''}`;
  return Buffer.from(hkdfSync('sha256', rootKey, Buffer.alloc(0), info, 32));
}

/** The blind index of a value (hex HMAC-SHA256 of its normal form) under a subkey. */
export function blindIndex(subkey: Buffer, kind: BlindIndexKind, value: string): string {
  const normal = kind === 'email' ? normaliseEmailForIndex(value) : normaliseMrnForIndex(value);
  return createHmac('sha256', subkey).update(normal, 'utf8').digest('hex');
}
