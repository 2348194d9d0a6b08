import { hash, verify } from '@node-rs/argon2';

/** argon2id (algorithm 2) with OWASP's recommended minimum: 19 MiB memory, 2 iterations, 1 lane. */
const ARGON2ID = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password with argon2id; the result embeds its salt and parameters. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

/** A valid hash of a random secret, verified against when the account does not exist so timing does not reveal it. */
let decoyHash: Promise<string> | null = null;

/**
 * Checks a password against a stored hash. With no stored hash (unknown account) it still spends
 * the same work on a decoy and returns false, so response time does not reveal whether an account exists.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (storedHash === null) {
    decoyHash ??= hashPassword(crypto.randomUUID());
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
