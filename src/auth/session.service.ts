import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditSink } from '../audit/audit-entry.js';
import { auditLoginFailed, auditLoginSucceeded } from '../audit/login-audit.js';
import type { RequestOrigin } from '../audit/phi-access-recorder.js';
import { blindIndexOf } from '../crypto/field-crypto.js';
import { executeBoundUnscoped } from '../db/bound-query.js';
import { AuthSession, User, type Role, type SessionEndReason } from '../db/entities/index.js';
import { AppError, AuthenticationError } from '../errors.js';
import type { Actor } from './actor.js';
import type { SessionEnd, SessionEndListener, SessionsEnded } from './session-ended.js';
import { attemptKeys, LoginLockout } from './session-lockout.js';
import { hashRefreshToken, newRefreshToken } from './session-refresh-token.js';
import type { AccessTokenIssuer } from './tokens.js';
import { verifyCredentials } from './user.service.js';
import { asDate } from '../schema/common/dates.js';
import { isUuid } from './patient-access.js';

/** How long sessions last, in milliseconds. */
export interface SessionPolicy {
  /** Automatic logoff after this long without an authenticated request (HIPAA 164.312(a)(2)(iii)). */
  readonly idleMs: number;
  /** Hard limit from login, whatever the activity; refreshes do not extend it. */
  readonly absoluteMs: number;
  /**
   * Least time between two writes of a session's activity. Activity within this interval is not
   * recorded, so a session may idle out up to this much earlier than `idleMs` after its last request.
   */
  readonly activityWriteIntervalMs: number;
}

/** What a login or a refresh hands back: the tokens (shown once) and who they are for. */
export interface SignedIn {
  readonly user: User;
  readonly actor: Actor;
  readonly accessToken: string;
  /** When the access token expires. */
  readonly expiresAt: Date;
  readonly refreshToken: string;
}

/** Whether a session still authenticates at `now` (milliseconds since the epoch). */
export function isSessionActive(session: Pick<AuthSession, 'revokedAt' | 'idleExpiresAt' | 'absoluteExpiresAt'>, now: number): boolean {
  return session.revokedAt === null && now < session.idleExpiresAt.getTime() && now < session.absoluteExpiresAt.getTime();
}

/**
 * Sessions behind access tokens: login (with lockout), single-use rotating refresh tokens with reuse
 * detection, logout, and the per-request check.
 *
 * The per-request check ({@link authenticate}) reads the session row by primary key on every
 * authenticated request and has no cache, so a revocation on any instance takes effect at once on
 * every instance; the price is one indexed read per request, plus a write at most once per
 * `activityWriteIntervalMs` per session. Sessions that end (rotated, revoked, or found expired by
 * a request) are passed to the `ended` listener, which closes their WebSockets on every instance.
 */
export class SessionService {
  private readonly lockout: LoginLockout;

  /**
   * @param tokens signs the access tokens (carrying the session id as `sid`)
   * @param policy idle and absolute lifetimes
   * @param now the clock, in milliseconds since the epoch (tests move it)
   * @param ended told, after the change is committed, which sessions ended (their WebSockets close)
   * @param audit where sign-ins, successful and refused, are audited (null: not audited, unit tests)
   */
  constructor(
    private readonly tokens: AccessTokenIssuer,
    private readonly policy: SessionPolicy,
    private readonly now: () => number,
    private readonly ended: SessionEndListener = async () => undefined,
    lockout?: LoginLockout,
    private readonly audit: AuditSink | null = null,
  ) {
    this.lockout = lockout ?? new LoginLockout(now);
  }

  /**
   * Signs in with e-mail and password and starts a session family. Refused with RATE_LIMITED while
   * the account or the client address is locked out (before the password is even checked, and the
   * same whether or not the account exists); UNAUTHENTICATED for wrong credentials, and for a
   * missing or wrong second factor (`totp`: see `checkSecondFactor`), which counts as a failure too.
   *
   * @param origin the request's id, client address (also a lockout key) and User-Agent, copied
   *   onto the sign-in's audit record
   */
  async login(em: EntityManager, email: string, password: string, origin: RequestOrigin, totp: string | null = null): Promise<SignedIn> {
    // The account is counted under its e-mail's keyed blind index, never the address itself.
    const keys = attemptKeys(blindIndexOf(em, 'email', email), origin.clientIp);
    let signedIn: SignedIn;
    try {
      await this.lockout.begin(em, keys);
      const user = await verifyCredentials(em, email, password, { code: totp, now: this.now() });
      if (!user) throw AuthenticationError.invalidCredentials();
      await this.lockout.succeeded(em, keys);
      const now = this.now();
      const id = crypto.randomUUID();
      signedIn = await this.open(em, user, { id, familyId: id, parentId: null, absoluteExpiresAt: now + this.policy.absoluteMs }, now);
    } catch (err) {
      if (this.audit && err instanceof AppError) {
        const reason = String(err.extensions['reason'] ?? err.extensions['code']);
        await auditLoginFailed(this.audit, em, email, origin, reason);
      }
      throw err;
    }
    if (this.audit) await auditLoginSucceeded(this.audit, signedIn.actor, origin);
    return signedIn;
  }

  /**
   * Exchanges a refresh token for a successor session (new access and refresh tokens); the old
   * session ends (ROTATED). A refresh token already exchanged is taken as stolen: the whole family
   * is revoked, the legitimate holder's current session included, and the answer is UNAUTHENTICATED.
   */
  async refresh(em: EntityManager, refreshToken: string): Promise<SignedIn> {
    const current = await em.findOne(AuthSession, { refreshTokenHash: hashRefreshToken(refreshToken) });
    if (!current) throw AuthenticationError.invalidRefreshToken();
    if (current.refreshedAt !== null) {
      await this.revokeFamily(em, current.familyId, 'REFRESH_TOKEN_REUSE');
      throw AuthenticationError.invalidRefreshToken();
    }
    const now = this.now();
    if (!isSessionActive(current, now)) {
      if (current.revokedAt === null) await this.ended({ sessionIds: [current.id], reason: 'EXPIRED' });
      throw AuthenticationError.invalidRefreshToken();
    }
    const user = await em.findOne(User, { id: current.userId, tenantId: current.tenantId, disabledAt: null });
    if (!user) throw AuthenticationError.invalidRefreshToken();
    const successor = await em.transactional(async (tx) => {
      // The conditional update makes the exchange single-use even against a concurrent presentation.
      const claimed = await tx.nativeUpdate(
        AuthSession,
        { id: current.id, refreshedAt: null, revokedAt: null },
        { refreshedAt: new Date(now), revokedAt: new Date(now), revokedReason: 'ROTATED' },
      );
      if (claimed === 0) return null;
      const fields = { id: crypto.randomUUID(), familyId: current.familyId, parentId: current.id, absoluteExpiresAt: current.absoluteExpiresAt.getTime() };
      return this.open(tx, user, fields, now);
    });
    if (successor) {
      await this.ended({ sessionIds: [current.id], reason: 'ROTATED' });
      return successor;
    }
    const raced = await em.fork().findOne(AuthSession, { id: current.id });
    if (raced?.refreshedAt) await this.revokeFamily(em, current.familyId, 'REFRESH_TOKEN_REUSE');
    throw AuthenticationError.invalidRefreshToken();
  }

  /** Ends the session family of `sessionId` (logout): its access and refresh tokens stop working at once. */
  async logout(em: EntityManager, sessionId: string): Promise<void> {
    const session = await em.findOne(AuthSession, { id: sessionId }, { fields: ['familyId'] });
    if (session) await this.revokeFamily(em, session.familyId, 'LOGOUT');
  }

  /**
   * The actor of an access token whose session is still active, or null (invalid or expired token,
   * token without a session, session revoked, idle or past its absolute expiry, account disabled).
   * Every authorisation attribute comes from the stored session and its user row, never from the
   * token: a token whose `role` claim disagrees with the account's role (re-signed with a leaked
   * key) is refused and audited as a sign-in anomaly. Records activity, pushing the idle expiry
   * forward, at most once per `activityWriteIntervalMs`.
   */
  async authenticate(em: EntityManager, token: string): Promise<Actor | null> {
    const claimed = await this.tokens.verify(token);
    if (!claimed?.sessionId) return null;
    const session = await findSessionForCheck(em, claimed.sessionId);
    const now = this.now();
    if (!session || session.userId !== claimed.userId || session.tenantId !== claimed.tenantId) return null;
    if (session.userDisabled) return null;
    if (claimed.role !== session.role) {
      await this.auditTokenAnomaly(session, 'ROLE_CLAIM_MISMATCH');
      return null;
    }
    if (!isSessionActive(session, now)) {
      // Idle or past its absolute expiry, found now: any WebSocket still open on it closes too.
      if (session.revokedAt === null) await this.ended({ sessionIds: [session.id], reason: 'EXPIRED' });
      return null;
    }
    if (now - session.lastSeenAt.getTime() >= this.policy.activityWriteIntervalMs) {
      await em.nativeUpdate(
        AuthSession,
        { id: session.id, revokedAt: null },
        { lastSeenAt: new Date(now), idleExpiresAt: new Date(Math.min(now + this.policy.idleMs, session.absoluteExpiresAt.getTime())) },
      );
    }
    return { ...claimed, userId: session.userId, tenantId: session.tenantId, role: session.role, sessionId: session.id };
  }

  /**
   * Audits a refused token that verified but disagreed with its session (a forged claim): as the
   * session's user with the role the account really has; the claimed values are not recorded.
   */
  private async auditTokenAnomaly(session: SessionForCheck, reason: string): Promise<void> {
    if (!this.audit) return;
    await this.audit.append([
      {
        tenantId: session.tenantId,
        actor: { type: 'USER', userId: session.userId, role: session.role, sessionId: session.id },
        patientId: null,
        action: TOKEN_ANOMALY_ACTION,
        fields: [],
        purpose: null,
        outcome: 'DENIED',
        requestId: null,
        clientIp: null,
        userAgent: null,
        details: { reason },
      },
    ]);
  }

  /**
   * Which of these sessions have ended (revoked, idle or past their absolute expiry), with why.
   * Used after a bus outage to close WebSockets whose session ended while the news could not travel.
   */
  async endedAmong(em: EntityManager, sessionIds: readonly string[]): Promise<SessionsEnded[]> {
    if (sessionIds.length === 0) return [];
    const now = this.now();
    const rows = await em.find(AuthSession, { id: { $in: [...sessionIds] } }, { fields: ['id', 'revokedAt', 'revokedReason', 'idleExpiresAt', 'absoluteExpiresAt'] });
    const known = new Set(rows.map((r) => r.id));
    const byReason = new Map<SessionEnd, string[]>();
    const add = (reason: SessionEnd, id: string) => byReason.set(reason, [...(byReason.get(reason) ?? []), id]);
    for (const row of rows) {
      if (isSessionActive(row, now)) continue;
      add((row.revokedReason as SessionEnd | null) ?? 'EXPIRED', row.id);
    }
    for (const id of sessionIds) if (!known.has(id)) add('EXPIRED', id);
    return [...byReason].map(([reason, ids]) => ({ sessionIds: ids, reason }));
  }

  /**
   * Ends every active session of a user at once (an ADMIN disabled the account or reset its second
   * factor): tokens stop working on the next request, refresh tokens are refused, and WebSockets
   * close with 4401 on every instance.
   */
  async endUserSessions(em: EntityManager, userId: string, reason: 'ACCOUNT_DISABLED' | 'SECOND_FACTOR_RESET'): Promise<number> {
    const revoked: Array<{ id: string }> = await em
      .createQueryBuilder(AuthSession)
      .update({ revokedAt: new Date(this.now()), revokedReason: reason })
      .where({ userId, revokedAt: null })
      .returning(['id'])
      .execute('all');
    if (revoked.length > 0) await this.ended({ sessionIds: revoked.map((row) => row.id), reason });
    return revoked.length;
  }

  private async revokeFamily(em: EntityManager, familyId: string, reason: SessionEndReason): Promise<void> {
    const revoked: Array<{ id: string }> = await em
      .createQueryBuilder(AuthSession)
      .update({ revokedAt: new Date(this.now()), revokedReason: reason })
      .where({ familyId, revokedAt: null })
      .returning(['id'])
      .execute('all');
    if (revoked.length > 0) await this.ended({ sessionIds: revoked.map((row) => row.id), reason });
  }

  private async open(
    em: EntityManager,
    user: User,
    fields: { id: string; familyId: string; parentId: string | null; absoluteExpiresAt: number },
    now: number,
  ): Promise<SignedIn> {
    const refreshToken = newRefreshToken();
    em.create(AuthSession, {
      id: fields.id,
      tenantId: user.tenantId,
      userId: user.id,
      familyId: fields.familyId,
      parentId: fields.parentId,
      refreshTokenHash: hashRefreshToken(refreshToken),
      refreshedAt: null,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      idleExpiresAt: new Date(Math.min(now + this.policy.idleMs, fields.absoluteExpiresAt)),
      absoluteExpiresAt: new Date(fields.absoluteExpiresAt),
      revokedAt: null,
      revokedReason: null,
    });
    await em.flush();
    const role = user.role as Role;
    const { token, expiresAt } = await this.tokens.issue({ id: user.id, tenantId: user.tenantId, role }, fields.id);
    const actor: Actor = { userId: user.id, tenantId: user.tenantId, role, tokenId: 'login', sessionId: fields.id, expiresAt };
    return { user, actor, accessToken: token, expiresAt, refreshToken };
  }
}

/** The audit action of an access token refused because a claim disagreed with its session. */
export const TOKEN_ANOMALY_ACTION = 'TOKEN_ANOMALY';

/** What the per-request check reads of a session and of its user (the role is the user's, not the token's). */
type SessionForCheck = Pick<AuthSession, 'id' | 'userId' | 'tenantId' | 'revokedAt' | 'idleExpiresAt' | 'absoluteExpiresAt' | 'lastSeenAt'> & {
  readonly role: Role;
  readonly userDisabled: boolean;
};

/**
 * Reads a session and its user's role for the per-request check by primary key: one bound
 * statement (every request runs it, and the ORM's query building would cost more than the
 * lookup). `em` is outside the tenant wall: the session says which tenant the caller belongs to.
 * No row when the user is missing from the session's tenant.
 */
async function findSessionForCheck(em: EntityManager, sessionId: string): Promise<SessionForCheck | null> {
  if (!isUuid(sessionId)) return null;
  const [row] = await executeBoundUnscoped<{
    id: string; user_id: string; tenant_id: string; revoked_at: Date | string | null;
    idle_expires_at: Date | string; absolute_expires_at: Date | string; last_seen_at: Date | string;
    role: Role; user_disabled: boolean;
  }>(
    em,
    `select s."id"::text as "id", s."user_id"::text as "user_id", s."tenant_id"::text as "tenant_id", s."revoked_at", s."idle_expires_at",
       s."absolute_expires_at", s."last_seen_at", u."role", u."disabled_at" is not null as "user_disabled"
     from "auth_session" s join "app_user" u on u."id" = s."user_id" and u."tenant_id" = s."tenant_id" where s."id" = $1::uuid`,
    [sessionId],
  );
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    tenantId: row.tenant_id,
    revokedAt: asDate(row.revoked_at),
    idleExpiresAt: asDate(row.idle_expires_at),
    absoluteExpiresAt: asDate(row.absolute_expires_at),
    lastSeenAt: asDate(row.last_seen_at),
    role: row.role,
    userDisabled: row.user_disabled,
  };
}
