import type { EscalationChain, EscalationStep } from './protocol.js';

/**
 * The escalation chain flattened in paging order: every tier in order, then the fallback tier, and
 * the whole again `repeat` more times (rounds numbered from 0). The alerting service pages step 0 at
 * once and moves to step n + 1 when step n's `ackTimeoutMinutes` pass without an acknowledgement;
 * after the last step nobody else is paged (the alert stays open and visible).
 *
 * Pure: the chain is assumed valid (see `validateDefinition`); a negative or fractional `repeat` is
 * treated as its floor clamped to 0 so a bad stored value never loops forever.
 */
export function escalationSteps(chain: EscalationChain): EscalationStep[] {
  const rounds = Math.max(0, Math.floor(Number.isFinite(chain.repeat) ? chain.repeat : 0)) + 1;
  const steps: EscalationStep[] = [];
  for (let round = 0; round < rounds; round++) {
    chain.tiers.forEach((tier, tierIndex) => steps.push({ round, tierIndex, isFallback: false, tier }));
    steps.push({ round, tierIndex: -1, isFallback: true, tier: chain.fallback });
  }
  return steps;
}

/**
 * Minutes from the alert's opening until each step of {@link escalationSteps} is paged: step 0 at 0,
 * step n at the sum of the acknowledgement timeouts of the steps before it. Useful for scheduling
 * durable timers and for showing clinicians when the next page happens.
 */
export function escalationOffsetsMinutes(steps: readonly EscalationStep[]): number[] {
  const offsets: number[] = [];
  let elapsed = 0;
  for (const step of steps) {
    offsets.push(elapsed);
    elapsed += step.tier.ackTimeoutMinutes;
  }
  return offsets;
}
