import { hash, verify } from '@node-rs/argon2';
import { normalisePassword } from './password-policy.js';

/** argon2id (algorithm 2) with OWASP's recommended minimum: 19 MiB memory, 2 iterations, 1 lane. */
const ARGON2ID = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password with argon2id; the result embeds its salt and parameters. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

/** A valid hash of a random secret, verified against when the account does not exist so timing does not reveal it. */
let decoyHash: Promise<string> | null = null;

/**
 * Checks a password against a stored hash, in its NFKC form (the form passwords are hashed in),
 * then as typed when that differs (a hash from before normalisation). With no stored hash
 * (unknown account) it still spends the same work on a decoy and returns false, so response time
 * does not reveal whether an account exists.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  const normalised = normalisePassword(password);
  if (storedHash === null) {
    decoyHash ??= hashPassword(crypto.randomUUID());
    await verify(await decoyHash, normalised).catch(() => false);
    return false;
  }
  if (await verifyOne(storedHash, normalised)) return true;
  return normalised !== password && verifyOne(storedHash, password);
}

async function verifyOne(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
