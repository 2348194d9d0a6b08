import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CLINICAL_ROLES, Tenant, TotpCredential, TotpRecoveryCode, User, type Role } from '../db/entities/index.js';
import { AuthenticationError, BadInputError, ConflictError } from '../errors.js';
import { blindIndexOf, sealForSql } from '../crypto/field-crypto.js';
import { attemptKeys, LoginLockout } from './session-lockout.js';
import { hashRecoveryCode, newRecoveryCode, RECOVERY_CODE_COUNT } from './totp-recovery-code.js';
import { looksLikeTotpCode, newTotpSecret, totpUri, verifyTotpCode } from './totp.js';

/** How long an enrolment token handed out at login stays valid, in milliseconds. */
export const ENROLMENT_TOKEN_TTL_MS = 10 * 60_000;

/** What `beginTotpEnrolment` hands back, once: the shared secret for the authenticator app. */
export interface TotpEnrolmentStart {
  /** Base32 secret, for typing into an authenticator app. */
  readonly secret: string;
  /** The same secret as an `otpauth://` URI, for a QR code. */
  readonly otpauthUri: string;
}

/** Whether a role is one that tenant policy may force to use a second factor. */
export function isClinicianRole(role: Role): boolean {
  return (CLINICAL_ROLES as readonly string[]).includes(role);
}

/**
 * The second-factor step of a login, called once the password has proved right (so none of its
 * answers reveals whether an account exists). Throws UNAUTHENTICATED with `extensions.reason`:
 * `TOTP_REQUIRED` (enrolled, no code given), `TOTP_INVALID` (wrong, expired, replayed or spent
 * code), or `TOTP_ENROLMENT_REQUIRED` with an enrolment token (the tenant requires a factor of
 * clinicians and this one has none). A code is a current TOTP code, or an unused recovery code,
 * which this spends. The caller's lockout counts every throw as a failed attempt.
 *
 * @param now milliseconds since the epoch
 */
export async function checkSecondFactor(em: EntityManager, user: User, code: string | null, now: number): Promise<void> {
  const credential = await em.findOne(TotpCredential, { userId: user.id }, { refresh: true });
  if (credential?.confirmedAt && credential.secret) {
    if (!code?.trim()) throw AuthenticationError.totpRequired();
    if (!(await spendCode(em, credential, code, now))) throw AuthenticationError.totpInvalid();
    return;
  }
  if (isClinicianRole(user.role as Role) && (await tenantRequiresTotp(em, user.tenantId))) {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now + ENROLMENT_TOKEN_TTL_MS);
    await em.execute(
      `insert into "totp_credential" ("user_id", "tenant_id", "secret", "confirmed_at", "last_used_step", "enrolment_ticket_hash", "enrolment_ticket_expires_at", "updated_at")
       values (?, ?, null, null, null, ?, ?, ?)
       on conflict ("user_id") do update set "enrolment_ticket_hash" = excluded."enrolment_ticket_hash",
         "enrolment_ticket_expires_at" = excluded."enrolment_ticket_expires_at", "updated_at" = excluded."updated_at"`,
      [user.id, user.tenantId, hashToken(token), expiresAt, new Date(now)],
    );
    throw AuthenticationError.totpEnrolmentRequired(token, expiresAt);
  }
}

/** Whether the tenant requires clinicians to sign in with a second factor. */
export async function tenantRequiresTotp(em: EntityManager, tenantId: string): Promise<boolean> {
  const tenant = await em.findOne(Tenant, { id: tenantId }, { fields: ['requireTotpForClinicians'], refresh: true });
  return tenant?.requireTotpForClinicians === true;
}

/** Sets whether the tenant requires clinicians to sign in with a second factor; returns the new setting. */
export async function setTenantRequiresTotp(em: EntityManager, tenantId: string, required: boolean): Promise<boolean> {
  await em.nativeUpdate(Tenant, { id: tenantId }, { requireTotpForClinicians: required });
  return required;
}

/**
 * Enrolment and removal of a user's TOTP factor. Wrong codes count against the account's login
 * lockout (the same counters as `login`), so a stolen session cannot guess its way to disabling the
 * factor, and a locked-out account is refused with RATE_LIMITED before any code is checked.
 */
export class TotpService {
  private readonly lockout: LoginLockout;

  /** @param now the clock, in milliseconds since the epoch */
  constructor(
    private readonly now: () => number,
    lockout?: LoginLockout,
  ) {
    this.lockout = lockout ?? new LoginLockout(now);
  }

  /**
   * The user an enrolment token (from a `TOTP_ENROLMENT_REQUIRED` login) acts for, or
   * UNAUTHENTICATED when it is unknown, expired or already used by a confirmed enrolment.
   */
  async userForEnrolmentToken(em: EntityManager, token: string): Promise<User> {
    const credential = await em.findOne(TotpCredential, {
      enrolmentTicketHash: hashToken(token),
      enrolmentTicketExpiresAt: { $gt: new Date(this.now()) },
      confirmedAt: null,
    });
    if (!credential) throw AuthenticationError.invalidEnrolmentToken();
    const user = await em.findOne(User, { id: credential.userId, tenantId: credential.tenantId, disabledAt: null });
    if (!user) throw AuthenticationError.invalidEnrolmentToken();
    return user;
  }

  /**
   * Starts (or restarts) enrolment with a new secret, replacing any unconfirmed one. Refused with
   * CONFLICT while a factor is enabled: replacing it takes `disableTotp` with a valid code first.
   */
  async begin(em: EntityManager, user: User): Promise<TotpEnrolmentStart> {
    const secret = newTotpSecret();
    // Raw SQL bypasses the encrypting driver: the secret is sealed here (bound to this credential row).
    const sealed = await sealForSql(em, 'TotpCredential', 'secret', { tenantId: user.tenantId, recordId: user.id }, secret);
    const rows = await em.execute<Array<{ user_id: string }>>(
      `insert into "totp_credential" ("user_id", "tenant_id", "secret", "confirmed_at", "last_used_step", "enrolment_ticket_hash", "enrolment_ticket_expires_at", "updated_at")
       values (?, ?, ?, null, null, null, null, ?)
       on conflict ("user_id") do update set "secret" = excluded."secret", "last_used_step" = null, "updated_at" = excluded."updated_at"
         where "totp_credential"."confirmed_at" is null
       returning "user_id"`,
      [user.id, user.tenantId, sealed, new Date(this.now())],
    );
    if (rows.length === 0) throw ConflictError.totpAlreadyEnabled();
    return { secret, otpauthUri: totpUri(secret, user.email) };
  }

  /**
   * Confirms enrolment with a current code from the authenticator app: the factor is enabled (that
   * code's step counts as used, the enrolment token is spent) and {@link RECOVERY_CODE_COUNT} new
   * single-use recovery codes are returned, shown this once; only their hashes are kept.
   */
  async confirm(em: EntityManager, user: User, code: string, clientIp: string | null): Promise<string[]> {
    const credential = await em.findOne(TotpCredential, { userId: user.id }, { refresh: true });
    if (credential?.confirmedAt) throw ConflictError.totpAlreadyEnabled();
    if (!credential?.secret) throw ConflictError.totpEnrolmentNotBegun();
    const secret = credential.secret;
    const begunAt = credential.updatedAt;
    return this.guarded(em, user, clientIp, async () => verifyTotpCode(secret, code, this.now()), async (step) => {
      const now = new Date(this.now());
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      await em.transactional(async (tx) => {
        const claimed = await tx.nativeUpdate(
          TotpCredential,
          // Unchanged since read (no restarted enrolment in between); the secret itself is encrypted, so not compared in SQL.
          { userId: user.id, updatedAt: begunAt, confirmedAt: null },
          { confirmedAt: now, lastUsedStep: step, enrolmentTicketHash: null, enrolmentTicketExpiresAt: null, updatedAt: now },
        );
        if (claimed === 0) throw ConflictError.totpAlreadyEnabled();
        await tx.nativeDelete(TotpRecoveryCode, { userId: user.id });
        for (const recoveryCode of recoveryCodes) {
          tx.create(TotpRecoveryCode, { id: crypto.randomUUID(), userId: user.id, codeHash: hashRecoveryCode(recoveryCode), usedAt: null, createdAt: now });
        }
      });
      return recoveryCodes;
    });
  }

  /** Turns the factor off, given a current TOTP code or an unused recovery code; its recovery codes go with it. */
  async disable(em: EntityManager, user: User, code: string, clientIp: string | null): Promise<void> {
    const credential = await em.findOne(TotpCredential, { userId: user.id }, { refresh: true });
    if (!credential?.confirmedAt || !credential.secret) throw ConflictError.totpNotEnabled();
    await this.guarded(em, user, clientIp, async () => ((await spendCode(em, credential, code, this.now())) ? true : null), async () => {
      await em.transactional(async (tx) => {
        await tx.nativeDelete(TotpRecoveryCode, { userId: user.id });
        await tx.nativeDelete(TotpCredential, { userId: user.id });
      });
    });
  }

  /**
   * Runs a code check under the login lockout: the attempt is counted first (RATE_LIMITED while
   * locked out); a wrong code answers BAD_USER_INPUT on `code` and stays counted; a right one is
   * taken back once `onValid` has succeeded.
   */
  private async guarded<V, R>(
    em: EntityManager,
    user: User,
    clientIp: string | null,
    check: () => Promise<V | null>,
    onValid: (value: V) => Promise<R>,
  ): Promise<R> {
    const keys = attemptKeys(blindIndexOf(em, 'email', user.email), clientIp);
    await this.lockout.begin(em, keys);
    const value = await check();
    if (value === null) throw BadInputError.totpCode();
    const result = await onValid(value);
    await this.lockout.succeeded(em, keys);
    return result;
  }
}

/**
 * Spends a code of an enabled factor: a TOTP code of a step later than the last accepted one (the
 * conditional update makes this hold against concurrent presentations too), or an unused recovery
 * code. Returns whether it was accepted.
 */
async function spendCode(em: EntityManager, credential: TotpCredential, code: string, now: number): Promise<boolean> {
  if (looksLikeTotpCode(code)) {
    const step = verifyTotpCode(credential.secret!, code, now, credential.lastUsedStep ?? null);
    if (step === null) return false;
    const claimed = await em.nativeUpdate(
      TotpCredential,
      { userId: credential.userId, confirmedAt: { $ne: null }, $or: [{ lastUsedStep: null }, { lastUsedStep: { $lt: step } }] },
      { lastUsedStep: step, updatedAt: new Date(now) },
    );
    return claimed > 0;
  }
  const spent = await em.nativeUpdate(
    TotpRecoveryCode,
    { userId: credential.userId, codeHash: hashRecoveryCode(code), usedAt: null },
    { usedAt: new Date(now) },
  );
  return spent > 0;
}

/** What the database keeps of an enrolment token: its hex SHA-256 (the token is 256 random bits). */
function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
