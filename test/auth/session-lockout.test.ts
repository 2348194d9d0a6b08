import { describe, expect, it } from 'vitest';
import { attemptKeys, decideAttempt, LOCKOUT_POLICY, type ThrottleState } from '../../src/auth/session-lockout.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

/** Runs `n` allowed attempts from `state` at `now`, returning the final state. */
function attempts(state: ThrottleState | null, n: number, now: number): ThrottleState {
  let current = state;
  for (let i = 0; i < n; i++) {
    const decision = decideAttempt(current, now, 5, LOCKOUT_POLICY);
    expect(decision.allowed).toBe(true);
    current = decision.next;
  }
  return current!;
}

describe('decideAttempt', () => {
  it('allows five attempts in a window and locks out the sixth for a minute', () => {
    const state = attempts(null, 5, T0);
    expect(decideAttempt(state, T0, 5, LOCKOUT_POLICY)).toMatchObject({ allowed: false, lockedUntil: T0 + MINUTE });
  });

  it('starts counting again once the window has passed', () => {
    const state = attempts(null, 5, T0);
    expect(decideAttempt(state, T0 + 15 * MINUTE, 5, LOCKOUT_POLICY)).toMatchObject({ allowed: true, next: { failures: 1 } });
  });

  it('refuses while locked without extending the lock', () => {
    const locked = decideAttempt(attempts(null, 5, T0), T0, 5, LOCKOUT_POLICY);
    const again = decideAttempt(locked.next, T0 + 30_000, 5, LOCKOUT_POLICY);
    expect(again).toMatchObject({ allowed: false, lockedUntil: T0 + MINUTE });
  });

  it('doubles each lockout up to an hour and forgets them after a day without one', () => {
    let state: ThrottleState | null = null;
    let now = T0;
    const lengths: number[] = [];
    for (let i = 0; i < 8; i++) {
      state = attempts(state, 5, now);
      const decision = decideAttempt(state, now, 5, LOCKOUT_POLICY);
      if (decision.allowed) throw new Error('expected a lockout');
      lengths.push((decision.lockedUntil - now) / MINUTE);
      state = decision.next;
      now = decision.lockedUntil;
    }
    expect(lengths).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    const later = attempts(state, 5, now + 25 * 60 * MINUTE);
    expect(decideAttempt(later, now + 25 * 60 * MINUTE, 5, LOCKOUT_POLICY)).toMatchObject({ allowed: false, lockedUntil: now + 25 * 60 * MINUTE + MINUTE });
  });
});

describe('attemptKeys', () => {
  it('hashes the e-mail address and unwraps IPv4-mapped addresses', () => {
    const keys = attemptKeys('mia@example.org', '::ffff:10.0.0.7');
    expect(keys.account).toMatch(/^account:[0-9a-f]{64}$/);
    expect(keys.account).not.toContain('mia');
    expect(keys.address).toBe('ip:10.0.0.7');
    expect(attemptKeys('mia@example.org', null).address).toBeNull();
  });
});
