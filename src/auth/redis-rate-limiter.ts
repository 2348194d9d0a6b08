import { Redis } from 'ioredis';
import type { AppLogger } from '../logger.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { checkChargeFits, type RateCharge, type RateDecision, type RateLimiter } from './rate-limiter.js';

/** Longest a charge may wait for Redis's reply, in milliseconds (then the request fails, retryable). */
const COMMAND_TIMEOUT_MS = 1000;

/**
 * {@link bucketStep} over every key at once, in Redis: refused (nothing written) if any bucket
 * would overflow, else every key set to its new theoretical arrival time, expiring when its bucket
 * is full again. KEYS: the buckets; ARGV: now, then limit, period and cost per key. Returns
 * `{1, 0, -1}` or `{0, waitMs, index}` (0-based index of the bucket with the longest wait).
 */
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local next = {}
local worst, worstWait = -1, 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[i * 3 - 1])
  local period = tonumber(ARGV[i * 3])
  local cost = tonumber(ARGV[i * 3 + 1])
  local stored = tonumber(redis.call('GET', KEYS[i]))
  local start = now
  if stored and stored > now then start = stored end
  local tat = math.ceil(start + cost * period / limit)
  local wait = tat - period - now
  if wait > 0 and wait > worstWait then worst, worstWait = i - 1, wait end
  next[i] = tat
end
if worst >= 0 then return {0, worstWait, worst} end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], string.format('%d', next[i]), 'PX', math.max(1, next[i] - now))
end
return {1, 0, -1}
`;

/** The Redis client with the script registered as a command. */
type LimiterRedis = Redis & { cradleTake(...args: Array<string | number>): Promise<[number, number, number]> };

/**
 * Rate limits in Redis, shared by every instance: one Lua script per request charges all its
 * buckets atomically. Keys are `<REDIS_KEY_PREFIX>rate:<tenantId>:<key>`; each expires once its
 * bucket has refilled. The time is the caller's clock, passed in (instances' clocks should agree
 * within a second; a bucket is never charged for time that went backwards).
 *
 * While Redis is unreachable (a command fails fast: no offline queue, a reply timeout), charges go
 * to buckets of this instance alone, which start full: the limits still hold per instance, and
 * messaging, whose mailbox is durable in the database, stays usable through a bus outage. Once
 * Redis answers again the shared buckets are used again. Each outage is logged once.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;
  private readonly redis: LimiterRedis;
  /** This instance's own buckets, used while Redis cannot be reached. */
  private readonly fallback = new MemoryRateLimiter();
  private unavailable = false;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly logger: AppLogger,
  ) {
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectionName: 'cradle-rate-limits',
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 2000),
    }) as LimiterRedis;
    this.redis.defineCommand('cradleTake', { lua: TAKE_SCRIPT });
    this.redis.on('error', () => undefined);
  }

  /** Resolves once connected, or rejects after `timeoutMs`. */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Redis (rate limits) did not become ready')), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async take(tenantId: string, charges: readonly RateCharge[], now: number): Promise<RateDecision> {
    for (const charge of charges) checkChargeFits(charge);
    const keys = charges.map((c) => `${this.prefix}rate:${tenantId}:${c.key}`);
    const args = charges.flatMap((c) => [c.limit.limit, c.limit.periodMs, c.cost]);
    let reply: [number, number, number];
    try {
      reply = await this.redis.cradleTake(keys.length, ...keys, Math.floor(now), ...args);
    } catch (err) {
      if (!this.unavailable) this.logger.warn({ err }, 'rate limits: Redis unreachable; limiting per instance until it is back');
      this.unavailable = true;
      return this.fallback.take(tenantId, charges, now);
    }
    if (this.unavailable) this.logger.info('rate limits: Redis reachable again; limits shared across instances');
    this.unavailable = false;
    const [allowed, waitMs, refused] = reply.map(Number) as [number, number, number];
    return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs: waitMs, refused };
  }

  async close(): Promise<void> {
    await this.fallback.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
