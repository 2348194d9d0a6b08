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
 * (`password-policy.ts`; hashed in its NFKC form). Throws CONFLICT if the e-mail address is taken
 * in the same tenant (an account in another tenant is no obstacle and never answered about): the
 * unique index on the tenant and the e-mail's blind index decides (the address itself is
 * encrypted), and an account from before encryption (no blind index until `keys:reencrypt`) is
 * checked by address.
 */
export async function createUser(em: EntityManager, input: NewUser, fieldPrefix = 'input'): Promise<User> {
  const email = checkEmail(input.email, `${fieldPrefix}.email`);
  if (!(ROLES as readonly string[]).includes(input.role)) throw BadInputError.field(`${fieldPrefix}.role`, 'Unknown role.');
  const displayName = checkText(input.displayName, `${fieldPrefix}.displayName`, 200);
  const password = checkNewPassword(input.password, { email, displayName }, `${fieldPrefix}.password`);
  if (await findLegacyUserId(em, email, input.tenantId)) throw ConflictError.emailTaken();
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
 * Checks an e-mail address and password; returns the user, or null. The address may have an
 * account in several tenants: the password is checked against each enabled one (always at least
 * one check, on a decoy when there is none), and exactly one must match; the same password for the
 * same address in two tenants signs in to neither. Unknown address, wrong password and disabled
 * account all give null in about the same time. Only once the password is right is the second
 * factor checked (`checkSecondFactor`), which throws UNAUTHENTICATED with a `reason`; so its
 * answers never reveal whether an account exists. Sessions and lockout are `session.service.ts`'s
 * business.
 */
export async function verifyCredentials(em: EntityManager, email: string, password: string, secondFactor: SecondFactorAttempt): Promise<User | null> {
  const candidates = (await findUsersByEmail(em, email)).filter((user) => !user.disabledAt);
  const matches: User[] = [];
  if (candidates.length === 0) await verifyPassword(null, password);
  for (const user of candidates) if (await verifyPassword(user.passwordHash, password)) matches.push(user);
  if (matches.length !== 1) return null;
  const [user] = matches as [User];
  await checkSecondFactor(em, user, secondFactor.code, secondFactor.now);
  return user;
}

/**
 * The accounts with this e-mail address, one at most per tenant, by its keyed blind index; an
 * account written before encryption is found by its plaintext address until `keys:reencrypt` has
 * given it a blind index.
 */
export async function findUsersByEmail(em: EntityManager, email: string): Promise<User[]> {
  const users = await em.find(User, { emailIndex: blindIndexOf(em, 'email', email) }, { orderBy: { id: 'asc' } });
  const legacy = await em.execute<Array<{ id: string }>>(`select "id" from "app_user" where "email_index" is null and "email" = ?`, [normaliseEmail(email)]);
  if (legacy.length === 0) return users;
  return [...users, ...(await em.find(User, { id: { $in: legacy.map((row) => row.id) } }))];
}

/** The id of a not yet re-encrypted account of `tenantId` with this (normalised) address, if any. */
async function findLegacyUserId(em: EntityManager, normalisedEmail: string, tenantId: string): Promise<string | null> {
  const rows = await em.execute<Array<{ id: string }>>(`select "id" from "app_user" where "email_index" is null and "email" = ? and "tenant_id" = ? limit 1`, [normalisedEmail, tenantId]);
  return rows[0]?.id ?? null;
}

/** The form in which e-mail addresses are stored and compared: trimmed, lower case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
