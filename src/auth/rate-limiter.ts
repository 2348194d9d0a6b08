/**
 * Rate limits shared by every instance of a deployment: one interface, an in-process
 * implementation for the embedded default (`memory-rate-limiter.ts`) and a Redis one when Redis is
 * configured (`redis-rate-limiter.ts`), chosen by `createServer`. Both run the same algorithm, the
 * generic cell rate algorithm (GCRA, a token bucket kept as one number per key): a bucket holds
 * `limit` units and refills continuously at `limit` per `periodMs`, so a burst may spend the whole
 * limit at once and then one unit comes back every `periodMs / limit`.
 */

/** At most `limit` units per `periodMs` milliseconds, refilled continuously. */
export interface RateLimit {
  readonly limit: number;
  readonly periodMs: number;
}

/** One bucket a request spends from: its key (within the tenant), its limit, and the units spent. */
export interface RateCharge {
  readonly key: string;
  readonly limit: RateLimit;
  /** Units this request spends; at least 1 and at most `limit.limit` (a larger one could never pass). */
  readonly cost: number;
}

/** The outcome of {@link RateLimiter.take}: allowed (every bucket charged), or refused (none charged). */
export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** How long until the request would fit, in milliseconds (always > 0). */
      readonly retryAfterMs: number;
      /** Index in the charges of the bucket that refused (the one with the longest wait). */
      readonly refused: number;
    };

/**
 * Rate limits of one deployment. `take` charges every bucket of a request or none of them,
 * atomically (two instances never both spend a bucket's last unit). Time is the caller's injected
 * clock; keys are scoped to a tenant.
 */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  /** Charges all `charges` (distinct keys) of tenant `tenantId` at time `now` (ms since the epoch), or none. */
  take(tenantId: string, charges: readonly RateCharge[], now: number): Promise<RateDecision>;
  close(): Promise<void>;
}

/** One bucket's step of the algorithm: the new theoretical arrival time, or how long to wait. */
export type BucketStep = { readonly ok: true; readonly tat: number } | { readonly ok: false; readonly waitMs: number };

/**
 * GCRA for one bucket (pure). `tat` is the bucket's stored theoretical arrival time (null when it
 * has none, i.e. full); the new one is rounded up to a whole millisecond, so the Redis script (which
 * stores integers) computes exactly the same. Throws when `cost` exceeds the limit: such a charge
 * could never pass, and configuration is validated so that none does.
 */
export function bucketStep(tat: number | null, charge: RateCharge, now: number): BucketStep {
  checkChargeFits(charge);
  const { limit, periodMs } = charge.limit;
  const start = tat !== null && tat > now ? tat : now;
  const next = Math.ceil(start + (charge.cost * periodMs) / limit);
  const waitMs = next - periodMs - now;
  return waitMs > 0 ? { ok: false, waitMs } : { ok: true, tat: next };
}

/** Throws unless `charge` spends from 1 to `limit` whole units (a larger charge could never pass). */
export function checkChargeFits(charge: RateCharge): void {
  if (!Number.isInteger(charge.cost) || charge.cost < 1 || charge.cost > charge.limit.limit) {
    throw new Error(`a charge of ${charge.cost} cannot fit a limit of ${charge.limit.limit}`);
  }
}

/** A refusal's wait in whole seconds, at least 1 (what `retryAfterSeconds` carries). */
export function retryAfterSeconds(decision: { readonly retryAfterMs: number }): number {
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
}
