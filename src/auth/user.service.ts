import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { blindIndexOf } from '../crypto/field-crypto.js';
import { ROLES, User, type Role } from '../db/entities/index.js';
import { BadInputError, ConflictError } from '../errors.js';
import { checkText } from '../status/input-checks.js';
import { hashPassword, verifyPassword } from './password.js';
import { checkNewPassword } from './password-policy.js';
import { checkSecondFactor } from './totp.service.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What creating a user needs. */
export interface NewUser {
  readonly tenantId: string;
  readonly email: string;
  readonly password: string;
  readonly role: Role;
  readonly displayName: string;
}

/** Checks and normalises an e-mail address (lower case), naming `field` on error. */
export function checkEmail(email: string, field: string): string {
  const normalised = normaliseEmail(email);
  if (normalised.length > 320 || !EMAIL.test(normalised)) throw BadInputError.field(field, `${field} is not a valid e-mail address.`);
  return normalised;
}

/**
 * Creates a user with an argon2id hash of its password, which must pass the password policy
 * (`password-policy.ts`; hashed in its NFKC form). Throws CONFLICT if the e-mail address is taken:
 * the unique index on the e-mail's blind index decides (the address itself is encrypted), and an
 * account from before encryption (no blind index until `keys:reencrypt`) is checked by address.
 */
export async function createUser(em: EntityManager, input: NewUser, fieldPrefix = 'input'): Promise<User> {
  const email = checkEmail(input.email, `${fieldPrefix}.email`);
  if (!(ROLES as readonly string[]).includes(input.role)) throw BadInputError.field(`${fieldPrefix}.role`, 'Unknown role.');
  const displayName = checkText(input.displayName, `${fieldPrefix}.displayName`, 200);
  const password = checkNewPassword(input.password, { email, displayName }, `${fieldPrefix}.password`);
  if (await findLegacyUserId(em, email)) throw ConflictError.emailTaken();
  const user = em.create(User, {
    id: crypto.randomUUID(),
    tenantId: input.tenantId,
    email,
    passwordHash: await hashPassword(password),
    role: input.role,
    displayName,
  });
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) {
      em.clear();
      throw ConflictError.emailTaken();
    }
    throw err;
  }
  return user;
}

/** The second factor presented with a login: the `totp` argument (a code or a recovery code) and the clock. */
export interface SecondFactorAttempt {
  readonly code: string | null;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

/**
 * Checks an e-mail address and password; returns the user, or null. Unknown address, wrong
 * password and disabled account all give null in about the same time. Only once the password is
 * right is the second factor checked (`checkSecondFactor`), which throws UNAUTHENTICATED with a
 * `reason`; so its answers never reveal whether an account exists. Sessions and lockout are
 * `session.service.ts`'s business.
 */
export async function verifyCredentials(em: EntityManager, email: string, password: string, secondFactor: SecondFactorAttempt): Promise<User | null> {
  const user = await findUserByEmail(em, email);
  const ok = await verifyPassword(user && !user.disabledAt ? user.passwordHash : null, password);
  if (!user || !ok) return null;
  await checkSecondFactor(em, user, secondFactor.code, secondFactor.now);
  return user;
}

/**
 * The user with this e-mail address (any tenant: addresses are unique across the installation), by
 * its keyed blind index; an account written before encryption is found by its plaintext address
 * until `keys:reencrypt` has given it a blind index.
 */
export async function findUserByEmail(em: EntityManager, email: string): Promise<User | null> {
  const user = await em.findOne(User, { emailIndex: blindIndexOf(em, 'email', email) });
  if (user) return user;
  const legacyId = await findLegacyUserId(em, normaliseEmail(email));
  return legacyId ? em.findOne(User, { id: legacyId }) : null;
}

/** The id of a not yet re-encrypted account with this (normalised) address, if any. */
async function findLegacyUserId(em: EntityManager, normalisedEmail: string): Promise<string | null> {
  const rows = await em.execute<Array<{ id: string }>>(`select "id" from "app_user" where "email_index" is null and "email" = ? limit 1`, [normalisedEmail]);
  return rows[0]?.id ?? null;
}

/** The form in which e-mail addresses are stored and compared: trimmed, lower case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
