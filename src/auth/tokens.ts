import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { ROLES, type Role } from '../db/entities/index.js';
import type { Actor } from './actor.js';

const ISSUER = 'cradle';
const AUDIENCE = 'cradle-api';
/** How far in the future a token's `iat` may lie (another instance's clock running ahead), in seconds. */
export const ISSUED_AT_SKEW_SECONDS = 60;

/** The media type in every access token's `typ` header (RFC 9068). */
const TOKEN_TYPE = 'at+jwt';
/** Base64url text, as each part of a compact JWS must be. */
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Signs and verifies Cradle's short-lived access tokens (HS256 JWTs with a key id in the header).
 * Tokens are signed with jose; they are verified here with `node:crypto`'s HMAC (a few
 * microseconds, against 120-200 µs for jose's WebCrypto path), since every request and socket
 * verifies one. The checks are those of `jwtVerify` with this issuer's options, and stricter:
 * exactly `alg: HS256` and `typ: at+jwt`, no `crit` or `b64` header, a known `kid`.
 */
export class AccessTokenIssuer {
  private readonly keys: ReadonlyMap<string, Uint8Array>;

  /**
   * @param currentKeyId the key id new tokens are signed with
   * @param secrets key id → secret; tokens signed with any listed key verify, so keys can rotate
   * @param ttlSeconds lifetime of a token in seconds
   * @param now the clock, in milliseconds since the epoch
   */
  constructor(
    private readonly currentKeyId: string,
    secrets: Readonly<Record<string, string>>,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new Map(Object.entries(secrets).map(([kid, secret]) => [kid, new TextEncoder().encode(secret)]));
    if (!this.keys.has(currentKeyId)) throw new Error(`No token secret is configured for key id ${currentKeyId}.`);
  }

  /** Issues a token for a user, bound to a session when `sessionId` is given (`sid` claim); returns it with its expiry. */
  async issue(user: { id: string; tenantId: string; role: Role }, sessionId?: string): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + this.ttlSeconds;
    const token = await new SignJWT({ tid: user.tenantId, role: user.role, ...(sessionId ? { sid: sessionId } : {}) })
      .setProtectedHeader({ alg: 'HS256', kid: this.currentKeyId, typ: TOKEN_TYPE })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(crypto.randomUUID())
      .sign(this.keys.get(this.currentKeyId)!);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /**
   * Verifies a token and returns its actor, or null when it is invalid, expired, signed by an unknown
   * key, issued in the future (beyond {@link ISSUED_AT_SKEW_SECONDS}) or valid for longer than this
   * issuer's lifetime (`exp - iat` past `ttlSeconds`). The actor's `role` is only the token's claim:
   * authorisation takes the role from the session (`SessionService.authenticate`), never from here.
   */
  async verify(token: string): Promise<Actor | null> {
    const payload = this.verifiedPayload(token);
    if (!payload) return null;
    const role = payload['role'];
    const tenantId = payload['tid'];
    if (typeof payload['sub'] !== 'string' || typeof tenantId !== 'string' || typeof payload['jti'] !== 'string') return null;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return null;
    if (!this.withinLifetime(payload)) return null;
    return { userId: payload['sub'], tenantId, role: role as Role, tokenId: payload['jti'], ...sessionClaim(payload), ...expiryClaim(payload) };
  }

  /**
   * The claims of a compact HS256 JWS whose signature matches one of the keys and whose header,
   * issuer, audience, expiry and not-before hold now; null otherwise (never throws).
   */
  private verifiedPayload(token: string): Record<string, unknown> | null {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
    const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
    const header = parseJsonObject(encodedHeader);
    if (!header || header['alg'] !== 'HS256' || header['typ'] !== TOKEN_TYPE || 'crit' in header || 'b64' in header) return null;
    const key = typeof header['kid'] === 'string' ? this.keys.get(header['kid']) : undefined;
    if (!key) return null;
    const expected = createHmac('sha256', key).update(`${encodedHeader}.${encodedPayload}`).digest();
    const signature = Buffer.from(encodedSignature, 'base64url');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return null;
    const payload = parseJsonObject(encodedPayload);
    if (!payload || payload['iss'] !== ISSUER) return null;
    const audience = payload['aud'];
    if (!(audience === AUDIENCE || (Array.isArray(audience) && audience.includes(AUDIENCE)))) return null;
    const nowSeconds = Math.floor(this.now() / 1000);
    const { exp, nbf } = payload;
    if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= nowSeconds) return null;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds)) return null;
    return payload;
  }

  /** Whether a token's `iat` is not in the future (beyond the skew) and its `exp` is at most the lifetime after it. */
  private withinLifetime(payload: Record<string, unknown>): boolean {
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number') return false;
    if (iat > this.now() / 1000 + ISSUED_AT_SKEW_SECONDS) return false;
    return exp - iat <= this.ttlSeconds;
  }
}

/** Extracts the token from an `Authorization: Bearer <token>` value. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/** The `sid` claim as an actor field, when the token carries one. */
function sessionClaim(payload: Record<string, unknown>): { sessionId?: string } {
  const sid = payload['sid'];
  return typeof sid === 'string' ? { sessionId: sid } : {};
}

/** The `exp` claim (seconds since the epoch) as the actor's `expiresAt`. */
function expiryClaim(payload: Record<string, unknown>): { expiresAt?: Date } {
  const exp = payload['exp'];
  return typeof exp === 'number' ? { expiresAt: new Date(exp * 1000) } : {};
}

/** A base64url part of a JWS decoded as a JSON object, or null when it is not one. */
function parseJsonObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
