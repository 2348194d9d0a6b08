import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { AccessTokenIssuer, bearerToken } from '../../src/auth/tokens.js';

const user = { id: '6d1c4b62-9a0e-4c37-bc34-7d4b7b0f1a10', tenantId: '0b9c8a4e-1f1e-4e62-9a2c-0d3e9b8f7a61', role: 'MIDWIFE' as const };
const secret = 's'.repeat(40);

describe('AccessTokenIssuer', () => {
  it('issues a token that verifies to the same actor, with the key id in its header', async () => {
    const issuer = new AccessTokenIssuer('k1', { k1: secret }, 900, () => 1_700_000_000_000);
    const { token, expiresAt } = await issuer.issue(user);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'HS256', kid: 'k1' });
    expect(expiresAt.getTime()).toBe(1_700_000_000_000 + 900_000);
    expect(await issuer.verify(token)).toMatchObject({ userId: user.id, tenantId: user.tenantId, role: 'MIDWIFE' });
  });

  it('rejects an expired token', async () => {
    let now = 1_700_000_000_000;
    const issuer = new AccessTokenIssuer('k1', { k1: secret }, 900, () => now);
    const { token } = await issuer.issue(user);
    now += 901_000;
    expect(await issuer.verify(token)).toBeNull();
  });

  it('rejects a token signed with an unknown key or tampered with', async () => {
    const a = new AccessTokenIssuer('k1', { k1: secret }, 900);
    const b = new AccessTokenIssuer('k1', { k1: 't'.repeat(40) }, 900);
    const { token } = await a.issue(user);
    expect(await b.verify(token)).toBeNull();
    const [h, p, s] = token.split('.');
    const forged = JSON.parse(Buffer.from(p!, 'base64url').toString());
    forged.role = 'ADMIN';
    expect(await a.verify(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`)).toBeNull();
  });

  it('rejects a correctly signed token whose exp lies beyond the configured lifetime after its iat', async () => {
    const now = 1_700_000_000_000;
    const issuer = new AccessTokenIssuer('k1', { k1: secret }, 900, () => now);
    const iat = now / 1000 - 10;
    expect(await issuer.verify(await signed({ iat, exp: iat + 900 }))).toMatchObject({ userId: user.id });
    expect(await issuer.verify(await signed({ iat, exp: iat + 901 }))).toBeNull();
    expect(await issuer.verify(await signed({ iat, exp: iat + 365 * 86_400 }))).toBeNull();
  });

  it('rejects a token issued in the future beyond the clock skew, and one without iat', async () => {
    const now = 1_700_000_000_000;
    const issuer = new AccessTokenIssuer('k1', { k1: secret }, 900, () => now);
    expect(await issuer.verify(await signed({ iat: now / 1000 + 30, exp: now / 1000 + 300 }))).toMatchObject({ userId: user.id });
    expect(await issuer.verify(await signed({ iat: now / 1000 + 120, exp: now / 1000 + 600 }))).toBeNull();
    expect(await issuer.verify(await signed({ iat: null, exp: now / 1000 + 600 }))).toBeNull();
  });

  it('verifies tokens of a previous key during rotation', async () => {
    const old = new AccessTokenIssuer('k1', { k1: secret }, 900);
    const rotated = new AccessTokenIssuer('k2', { k1: secret, k2: 'u'.repeat(40) }, 900);
    const { token } = await old.issue(user);
    expect(await rotated.verify(token)).not.toBeNull();
  });

  describe('checks every part of the token it verifies itself (node:crypto HMAC, not jose)', () => {
    const now = 1_700_000_000_000;
    const issuer = new AccessTokenIssuer('k1', { k1: secret }, 900, () => now);
    const iat = now / 1000 - 10;
    const claims = { sub: user.id, tid: user.tenantId, role: user.role, jti: 'j1', iss: 'cradle', aud: 'cradle-api', iat, exp: iat + 900 };
    const header = { alg: 'HS256', kid: 'k1', typ: 'at+jwt' };

    it('accepts a hand-made token exactly like the issuer makes (the control)', async () => {
      expect(await issuer.verify(handMade(header, claims))).toMatchObject({ userId: user.id, tokenId: 'j1' });
      expect(await issuer.verify(handMade(header, { ...claims, aud: ['other', 'cradle-api'] }))).toMatchObject({ userId: user.id });
      expect(await issuer.verify(handMade(header, { ...claims, nbf: iat }))).toMatchObject({ userId: user.id });
    });

    it.each([
      ['alg none', { ...header, alg: 'none' }],
      ['alg HS512', { ...header, alg: 'HS512' }],
      ['no typ', { alg: 'HS256', kid: 'k1' }],
      ['typ JWT', { ...header, typ: 'JWT' }],
      ['a crit header', { ...header, crit: ['exp'] }],
      ['an unencoded payload (b64: false)', { ...header, b64: false }],
      ['an unknown kid', { ...header, kid: 'k9' }],
      ['no kid', { alg: 'HS256', typ: 'at+jwt' }],
    ])('refuses a correctly signed token with %s', async (_name, badHeader) => {
      expect(await issuer.verify(handMade(badHeader, claims))).toBeNull();
    });

    it.each([
      ['another issuer', { iss: 'someone-else' }],
      ['another audience', { aud: 'other-api' }],
      ['no audience', { aud: undefined }],
      ['an exp of exactly now', { exp: now / 1000 }],
      ['no exp', { exp: undefined }],
      ['a not-before in the future', { nbf: now / 1000 + 5 }],
      ['a not-before that is not a number', { nbf: 'soon' }],
      ['no jti', { jti: undefined }],
      ['an unknown role', { role: 'ROOT' }],
    ])('refuses a correctly signed token with %s', async (_name, change) => {
      expect(await issuer.verify(handMade(header, { ...claims, ...change }))).toBeNull();
    });

    it('refuses malformed tokens without throwing', async () => {
      const good = handMade(header, claims);
      const [h, p, sig] = good.split('.') as [string, string, string];
      for (const bad of [`${h}.${p}`, `${h}.${p}.${sig}.x`, `${h}.${p}.${sig.slice(0, -2)}`, `${h}.${p}.${sig}=`, `${h}.${p}.`, `${h}+.${p}.${sig}`, '', 'a.b.c']) {
        expect(await issuer.verify(bad), bad).toBeNull();
      }
      const arrayPayload = Buffer.from('[1,2]').toString('base64url');
      expect(await issuer.verify(sign(`${h}.${arrayPayload}`))).toBeNull();
      const notJson = Buffer.from('{"sub":').toString('base64url');
      expect(await issuer.verify(sign(`${h}.${notJson}`))).toBeNull();
    });
  });

  it('reads bearer tokens only from a well-formed header', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

/** A token signed with the test secret the way the issuer signs, with the given `iat` (null: none) and `exp`. */
function signed(times: { iat: number | null; exp: number }): Promise<string> {
  const jwt = new SignJWT({ tid: user.tenantId, role: user.role })
    .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
    .setSubject(user.id)
    .setIssuer('cradle')
    .setAudience('cradle-api')
    .setExpirationTime(times.exp)
    .setJti(crypto.randomUUID());
  if (times.iat !== null) jwt.setIssuedAt(times.iat);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** A compact JWS of `header` and `claims`, HMAC-SHA256-signed with the test secret whatever the header says. */
function handMade(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return sign(`${encode(header)}.${encode(claims)}`);
}

/** `signingInput` plus the HMAC-SHA256 signature of it under the test secret. */
function sign(signingInput: string): string {
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}
