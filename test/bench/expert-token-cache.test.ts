import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../bench/baselines/expert-token-cache.js';

const actor = (expiresAtMs: number) => ({ userId: 'u', tenantId: 't', role: 'MIDWIFE', expiresAt: new Date(expiresAtMs) });

function counting(answer: (token: string) => ReturnType<typeof actor> | null) {
  const calls: string[] = [];
  return { calls, verify: async (token: string) => (calls.push(token), answer(token)) };
}

describe('B3 verified-token cache', () => {
  it('verifies a token once and answers from memory until it expires', async () => {
    const clock = { now: 1000 };
    const inner = counting(() => actor(5000));
    const cache = new VerifiedTokenCache(inner, 10, () => clock.now);
    expect(await cache.verify('t1')).toMatchObject({ userId: 'u' });
    expect(await cache.verify('t1')).toMatchObject({ userId: 'u' });
    expect(inner.calls).toEqual(['t1']);
    clock.now = 5000;
    await cache.verify('t1');
    expect(inner.calls).toEqual(['t1', 't1']);
  });

  it('never remembers a token that failed, so it is checked again every time', async () => {
    const inner = counting(() => null);
    const cache = new VerifiedTokenCache(inner, 10, () => 0);
    expect(await cache.verify('bad')).toBeNull();
    expect(await cache.verify('bad')).toBeNull();
    expect(inner.calls).toEqual(['bad', 'bad']);
  });

  it('keeps at most its bound, dropping the oldest token', async () => {
    const inner = counting(() => actor(10_000));
    const cache = new VerifiedTokenCache(inner, 2, () => 0);
    for (const token of ['a', 'b', 'c', 'a']) await cache.verify(token);
    expect(inner.calls).toEqual(['a', 'b', 'c', 'a']);
  });
});
