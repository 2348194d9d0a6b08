import { createHash, randomBytes } from 'node:crypto';

/** How many recovery codes an enrolment hands out. */
export const RECOVERY_CODE_COUNT = 10;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A new recovery code: 128 random bits in Crockford base32 (26 characters), grouped by dashes for
 * reading aloud or typing (`XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-X`). Shown to the user once, never stored.
 */
export function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let text = '';
  for (let i = 0; i < 26; i += 1) {
    text = CROCKFORD[Number(bits & 31n)]! + text;
    bits >>= 5n;
  }
  return text.match(/.{1,5}/g)!.join('-');
}

/** The canonical form of a typed recovery code: upper case, without dashes or spaces, O→0 and I/L→1 (Crockford). */
export function normaliseRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/**
 * What the database keeps of a recovery code: the hex SHA-256 of its canonical form. A plain hash
 * is enough (like refresh tokens) because the code is 128 random bits, not a guessable password.
 */
export function hashRecoveryCode(input: string): string {
  return createHash('sha256').update(normaliseRecoveryCode(input), 'utf8').digest('hex');
}
