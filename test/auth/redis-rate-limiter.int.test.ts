import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../src/auth/redis-rate-limiter.js';
import { createLogger } from '../../src/logger.js';
import { RedisProcess } from '../helpers/redis-process.js';
import { rateLimiterContract } from './rate-limiter-contract.js';

/** The Redis rate limiter against a redis-server of this file's own (so it can be stopped), each test on a fresh key prefix. */
describe('the Redis rate limiter', () => {
  let redis: RedisProcess;
  const limiters: RedisRateLimiter[] = [];
  const logs: string[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }));
  const open = async (prefix = `rate_test_${crypto.randomUUID().slice(0, 8)}:`) => {
    const limiter = new RedisRateLimiter(redis.url, prefix, logger);
    limiters.push(limiter);
    await limiter.ready();
    return limiter;
  };

  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    for (const limiter of limiters) await limiter.close();
    await redis?.kill();
  });

  rateLimiterContract(() => open());

  it('stores its buckets under the key prefix and the tenant, expiring once refilled', async () => {
    const prefix = `rate_keys_${crypto.randomUUID().slice(0, 8)}:`;
    const limiter = new RedisRateLimiter(redis.url, prefix, logger);
    limiters.push(limiter);
    await limiter.ready();
    await limiter.take('tenant-k', [{ key: 'claims:u', limit: { limit: 6, periodMs: 3_600_000 }, cost: 1 }], Date.now());
    const inspect = new Redis(redis.url);
    const keys = await inspect.keys(`${prefix}*`);
    const ttl = await inspect.pttl(keys[0]!);
    await inspect.quit();
    expect(keys).toEqual([`${prefix}rate:tenant-k:claims:u`]);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it("limits with this instance's own buckets while Redis is down, and uses the shared ones again once it is back", async () => {
    const prefix = `rate_outage_${crypto.randomUUID().slice(0, 8)}:`;
    const limiter = await open(prefix);
    const other = await open(prefix);
    const charge = [{ key: 'send:u', limit: { limit: 2, periodMs: 60_000 }, cost: 1 }];
    const now = Date.now();
    expect(await limiter.take('tenant-o', charge, now)).toEqual({ allowed: true });
    await redis.kill();
    const during = [];
    for (let i = 0; i < 3; i++) during.push((await limiter.take('tenant-o', charge, now)).allowed);
    expect(during).toEqual([true, true, false]);
    expect(logs.filter((l) => l.includes('Redis unreachable'))).toHaveLength(1);
    await redis.restart();
    await expect.poll(() => limiter.take('tenant-o', charge, now).then(() => logs.some((l) => l.includes('Redis reachable again'))), { timeout: 10_000 }).toBe(true);
    // Shared again: what one instance spends, the other sees (this Redis restarted empty, and the poll spent one).
    await other.ready(10_000);
    const shared = [(await other.take('tenant-o', charge, now)).allowed, (await limiter.take('tenant-o', charge, now)).allowed];
    expect(shared).toEqual([true, false]);
  });
});
