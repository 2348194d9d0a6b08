import { expect, it } from 'vitest';
import type { RateCharge, RateLimit, RateLimiter } from '../../src/auth/rate-limiter.js';

const HOUR: RateLimit = { limit: 6, periodMs: 3_600_000 };
const MINUTE_BYTES: RateLimit = { limit: 4096, periodMs: 60_000 };
const T0 = Date.UTC(2026, 0, 1);

/**
 * What every {@link RateLimiter} must do, on a clock the test sets (`now` is passed in). `open`
 * gives a limiter with no buckets spent (a fresh key space).
 */
export function rateLimiterContract(open: () => Promise<RateLimiter>): void {
  const one = (key: string, limit = HOUR, cost = 1): RateCharge => ({ key, limit, cost });

  it('allows a burst of the whole limit, then refuses with the wait until one unit has come back', async () => {
    const limiter = await open();
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await limiter.take('tenant-a', [one('claims:u1')], T0));
    expect(outcomes.slice(0, 6)).toEqual(Array(6).fill({ allowed: true }));
    expect(outcomes[6]).toEqual({ allowed: false, retryAfterMs: 600_000, refused: 0 });
    expect(await limiter.take('tenant-a', [one('claims:u1')], T0 + 599_999)).toMatchObject({ allowed: false, retryAfterMs: 1 });
    expect(await limiter.take('tenant-a', [one('claims:u1')], T0 + 600_000)).toEqual({ allowed: true });
    expect(await limiter.take('tenant-a', [one('claims:u1')], T0 + 600_000)).toMatchObject({ allowed: false });
  });

  it('refills to the whole limit, and no further, after a full period', async () => {
    const limiter = await open();
    for (let i = 0; i < 6; i++) await limiter.take('tenant-a', [one('claims:u2')], T0);
    const later = T0 + 10 * 3_600_000;
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push((await limiter.take('tenant-a', [one('claims:u2')], later)).allowed);
    expect(outcomes).toEqual([true, true, true, true, true, true, false]);
  });

  it('charges all buckets of a request or none: a refused bucket leaves the others as they were', async () => {
    const limiter = await open();
    for (let i = 0; i < 6; i++) await limiter.take('tenant-a', [one('pair:x')], T0);
    const refused = await limiter.take('tenant-a', [one('overall:y'), one('pair:x')], T0);
    expect(refused).toMatchObject({ allowed: false, refused: 1 });
    const overall = [];
    for (let i = 0; i < 7; i++) overall.push((await limiter.take('tenant-a', [one('overall:y')], T0)).allowed);
    expect(overall).toEqual([true, true, true, true, true, true, false]);
  });

  it('spends a charge of several units at once, and reports the longest wait among refused buckets', async () => {
    const limiter = await open();
    expect(await limiter.take('tenant-a', [one('bytes:u3', MINUTE_BYTES, 4000)], T0)).toEqual({ allowed: true });
    const refused = await limiter.take('tenant-a', [one('bytes:u3', MINUTE_BYTES, 1000), one('count:u3', HOUR, 1)], T0);
    expect(refused).toEqual({ allowed: false, retryAfterMs: Math.ceil((904 * 60_000) / 4096), refused: 0 });
    expect(await limiter.take('tenant-a', [one('count:u3')], T0)).toEqual({ allowed: true });
  });

  it('keeps tenants apart: the same key in another tenant is another bucket', async () => {
    const limiter = await open();
    for (let i = 0; i < 6; i++) await limiter.take('tenant-a', [one('claims:shared')], T0);
    expect(await limiter.take('tenant-a', [one('claims:shared')], T0)).toMatchObject({ allowed: false });
    expect(await limiter.take('tenant-b', [one('claims:shared')], T0)).toEqual({ allowed: true });
  });

  it('lets exactly the limit through when the charges arrive concurrently', async () => {
    const limiter = await open();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => limiter.take('tenant-a', [one('claims:race')], T0)));
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(6);
  });

  it('throws on a charge larger than its limit (one that could never pass)', async () => {
    const limiter = await open();
    await expect(limiter.take('tenant-a', [one('claims:big', HOUR, 7)], T0)).rejects.toThrow(/cannot fit/);
  });
}
