import { defineEntity, p } from '@mikro-orm/core';

/** Why a session was ended before it expired. */
export const SESSION_END_REASONS = [
  /** The user signed out (`logout`). */
  'LOGOUT',
  /** Its refresh token was exchanged for a successor session (`refreshSession`). */
  'ROTATED',
  /** A refresh token of its family was presented twice: the family is presumed stolen. */
  'REFRESH_TOKEN_REUSE',
  /** An ADMIN disabled the account (`setUserDisabled`). */
  'ACCOUNT_DISABLED',
  /** An ADMIN reset the account's second factor (`resetSecondFactor`). */
  'SECOND_FACTOR_RESET',
] as const;

/** One of {@link SESSION_END_REASONS}. */
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/**
 * One signed-in session: what an access token's `sid` claim points at, checked on every
 * authenticated request. A login starts a family; each refresh ends the current session (ROTATED)
 * and starts its successor in the same family, so a family has at most one live session. The refresh
 * token is stored only as its SHA-256 hash; `refreshedAt` marks it used (single use).
 *
 * A session is active while `revokedAt` is null and the clock is before both `idleExpiresAt`
 * (pushed forward by activity) and `absoluteExpiresAt` (fixed at login, inherited by successors).
 */
export const AuthSessionEntity = defineEntity({
  name: 'AuthSession',
  tableName: 'auth_session',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    userId: p.uuid(),
    /** The id of the login that started the family (the first session's id). */
    familyId: p.uuid(),
    /** The session this one succeeded by refresh; null for the login itself. */
    parentId: p.uuid().nullable(),
    /** Hex SHA-256 of the refresh token; the token itself is never stored. */
    refreshTokenHash: p.string().length(64).unique(),
    /** When the refresh token was exchanged; a second presentation is reuse. */
    refreshedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    /** Last recorded activity (written at most once a minute per session). */
    lastSeenAt: p.datetime(),
    idleExpiresAt: p.datetime(),
    absoluteExpiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    revokedReason: p.enum(() => [...SESSION_END_REASONS]).columnType('text').nullable(),
  },
});

/** A session row. It never leaves the auth module. */
export class AuthSession extends AuthSessionEntity.class {}
AuthSessionEntity.setClass(AuthSession);
