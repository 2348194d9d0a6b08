import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signTokens, type SeededWorld } from '../../bench/seed.js';
import { AccessTokenIssuer } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';

function world(): SeededWorld {
  const tenantId = crypto.randomUUID();
  return {
    spec: { shape: 'patient', subscribers: 1, topics: 1, decoyFraction: 0 },
    tenantId, writerId: crypto.randomUUID(), writerSessionId: crypto.randomUUID(), writerToken: '', patients: [crypto.randomUUID()],
    subscribers: [{ userId: crypto.randomUUID(), role: 'PATIENT', sessionId: crypto.randomUUID(), token: '', entitled: new Set(), decoy: false }],
    fanOut: new Map(),
  };
}

function decodeClaims(token: string): { exp: number; iat: number; sid: string; sub: string } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('bench tokens', () => {
  it('are accepted by a server configured with the same lifetime (a 12 h token was refused with 4403)', async () => {
    for (const ttl of ['900', '3600']) {
      const config = loadConfig({ CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex'), CRADLE_ACCESS_TOKEN_TTL_SECONDS: ttl });
      const server = new AccessTokenIssuer(config.tokenKeyId, { [config.tokenKeyId]: config.tokenSecret }, config.accessTokenTtlSeconds);
      const signed = await signTokens(world(), config);
      for (const token of [signed.writerToken, signed.subscribers[0]!.token]) {
        const claims = decodeClaims(token);
        expect(claims.exp - claims.iat).toBe(Number(ttl));
        expect(await server.verify(token)).toMatchObject({ tenantId: signed.tenantId });
      }
    }
  });

  it('are bound to each user and session of the seed', async () => {
    const config = loadConfig({ CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex') });
    const seeded = world();
    const signed = await signTokens(seeded, config);
    expect(decodeClaims(signed.writerToken)).toMatchObject({ sub: seeded.writerId, sid: seeded.writerSessionId });
    expect(decodeClaims(signed.subscribers[0]!.token)).toMatchObject({ sub: seeded.subscribers[0]!.userId, sid: seeded.subscribers[0]!.sessionId });
  });
});
