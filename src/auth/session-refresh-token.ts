import { createHash, randomBytes } from 'node:crypto';

/** A new refresh token: 256 random bits, base64url (43 characters). Shown to the client once, never stored. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the database keeps of a refresh token: its SHA-256, hex. A plain hash (no salt, no slow KDF)
 * is enough because the token is 256 random bits, not a guessable password; it lets the token be
 * found by an indexed equality lookup.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
