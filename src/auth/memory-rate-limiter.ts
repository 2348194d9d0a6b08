import { bucketStep, type RateCharge, type RateDecision, type RateLimiter } from './rate-limiter.js';

/** Charges between two sweeps of buckets that have refilled (what bounds the map's size). */
const SWEEP_EVERY = 1024;

/**
 * Rate limits held in this process (the embedded default, one instance): a map from key to its
 * bucket's theoretical arrival time. `take` runs without awaiting in between, so concurrent
 * requests of this process are serialised. Buckets that are full again are forgotten.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly buckets = new Map<string, number>();
  private charges = 0;

  async take(tenantId: string, charges: readonly RateCharge[], now: number): Promise<RateDecision> {
    if (++this.charges % SWEEP_EVERY === 0) this.sweep(now);
    const keys = charges.map((c) => `${tenantId}:${c.key}`);
    const next: number[] = [];
    let refused: RateDecision | null = null;
    for (const [i, charge] of charges.entries()) {
      const step = bucketStep(this.buckets.get(keys[i]!) ?? null, charge, now);
      if (step.ok) next.push(step.tat);
      else if (!refused || (!refused.allowed && step.waitMs > refused.retryAfterMs)) refused = { allowed: false, retryAfterMs: step.waitMs, refused: i };
    }
    if (refused) return refused;
    keys.forEach((key, i) => this.buckets.set(key, next[i]!));
    return { allowed: true };
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  private sweep(now: number): void {
    for (const [key, tat] of this.buckets) if (tat <= now) this.buckets.delete(key);
  }
}
