import { createHash } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LoginThrottle } from '../db/entities/index.js';
import { RateLimitedError } from '../errors.js';

/** How failed logins lock out an account or a client address. */
export interface LockoutPolicy {
  /** Attempts allowed per account within a window before further ones are refused. */
  readonly accountMaxFailures: number;
  /** Attempts allowed per client address within a window (higher: clinics sit behind one NAT). */
  readonly addressMaxFailures: number;
  /** Length of the counting window, in milliseconds. */
  readonly windowMs: number;
  /** First lockout's length, in milliseconds; each further one doubles, up to `maxLockMs`. */
  readonly baseLockMs: number;
  readonly maxLockMs: number;
  /** After this long without a lockout, the doubling starts over, in milliseconds. */
  readonly lockoutMemoryMs: number;
}

/** Cradle's policy: 5 per account / 20 per address in 15 minutes, then 1, 2, 4 … up to 60 minutes. */
export const LOCKOUT_POLICY: LockoutPolicy = {
  accountMaxFailures: 5,
  addressMaxFailures: 20,
  windowMs: 15 * 60_000,
  baseLockMs: 60_000,
  maxLockMs: 60 * 60_000,
  lockoutMemoryMs: 24 * 60 * 60_000,
};

/** The bookkeeping of one key (a row of `login_throttle`), in milliseconds since the epoch. */
export interface ThrottleState {
  readonly failures: number;
  readonly windowStartedAt: number;
  readonly lockouts: number;
  readonly lockedUntil: number | null;
}

/** What to do with one attempt: go ahead (its attempt counted) or refuse until `lockedUntil`. */
export type AttemptDecision =
  | { readonly allowed: true; readonly next: ThrottleState }
  | { readonly allowed: false; readonly next: ThrottleState; readonly lockedUntil: number };

/**
 * Decides one login attempt for one key (pure). A locked key refuses. Otherwise, once
 * `maxFailures` attempts are counted in the window, this attempt starts a lockout (doubling each
 * time) and is refused; else it is counted in advance (so parallel guesses cannot overshoot the
 * limit) and allowed. A successful attempt takes its count back ({@link afterSuccess}).
 */
export function decideAttempt(state: ThrottleState | null, now: number, maxFailures: number, policy: LockoutPolicy): AttemptDecision {
  if (state && state.lockedUntil !== null && state.lockedUntil > now) {
    return { allowed: false, next: state, lockedUntil: state.lockedUntil };
  }
  const lastLockEnded = state?.lockedUntil ?? null;
  const lockouts = state && lastLockEnded !== null && now - lastLockEnded < policy.lockoutMemoryMs ? state.lockouts : 0;
  const inWindow = state !== null && now - state.windowStartedAt < policy.windowMs;
  const failures = inWindow ? state.failures : 0;
  const windowStartedAt = inWindow ? state.windowStartedAt : now;
  if (failures >= maxFailures) {
    const lockMs = Math.min(policy.baseLockMs * 2 ** lockouts, policy.maxLockMs);
    const lockedUntil = now + lockMs;
    return { allowed: false, next: { failures: 0, windowStartedAt: now, lockouts: lockouts + 1, lockedUntil }, lockedUntil };
  }
  return { allowed: true, next: { failures: failures + 1, windowStartedAt, lockouts, lockedUntil: lastLockEnded } };
}

/** The throttle keys of one attempt: the account (hashed e-mail, existing or not) and the client address. */
export interface AttemptKeys {
  readonly account: string;
  readonly address: string | null;
}

/**
 * Throttle keys for an attempt. `accountId` names the account tried: callers pass the e-mail's
 * keyed blind index (`crypto/blind-index.ts`), hashed once more here, so addresses typed at the
 * login form (often mistyped, sometimes not even users') are not stored, not even as a plain hash
 * a dictionary could reverse. IPv4-mapped IPv6 addresses are unwrapped.
 */
export function attemptKeys(accountId: string, clientIp: string | null): AttemptKeys {
  const account = `account:${createHash('sha256').update(accountId, 'utf8').digest('hex')}`;
  const ip = clientIp?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') ?? null;
  return { account, address: ip ? `ip:${ip.slice(0, 90)}` : null };
}

/**
 * Failed-login lockout per account and per client address, with counters in the database (every
 * instance sees them). `begin` is called before the password is checked and counts the attempt, or
 * refuses it with RATE_LIMITED and `retryAfterSeconds`, the same whether or not the account exists;
 * `succeeded` clears the account's count and takes the attempt back from the address's.
 */
export class LoginLockout {
  constructor(
    private readonly now: () => number,
    private readonly policy: LockoutPolicy = LOCKOUT_POLICY,
  ) {}

  /** Counts an attempt, or throws RATE_LIMITED if either key is locked out (or now reaches its limit). */
  async begin(em: EntityManager, keys: AttemptKeys): Promise<void> {
    const now = this.now();
    const limits: Array<[string, number]> = [[keys.account, this.policy.accountMaxFailures]];
    if (keys.address) limits.push([keys.address, this.policy.addressMaxFailures]);
    // Same lock order in every transaction: account keys sort before address keys.
    limits.sort(([a], [b]) => (a < b ? -1 : 1));
    const refusedUntil = await em.fork().transactional(async (tx) => {
      const decided: Array<[LoginThrottle, AttemptDecision]> = [];
      for (const [key, max] of limits) {
        await tx.execute(
          `insert into "login_throttle" ("key", "failures", "window_started_at", "lockouts", "locked_until") values (?, 0, ?, 0, null) on conflict ("key") do nothing`,
          [key, new Date(now)],
        );
        const row = await tx.findOneOrFail(LoginThrottle, { key }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        decided.push([row, decideAttempt(stateOf(row), now, max, this.policy)]);
      }
      const refused = decided.filter(([, d]) => !d.allowed);
      // A refused attempt is not counted against the other key; a lockout it starts is kept.
      for (const [row, decision] of refused.length > 0 ? refused : decided) Object.assign(row, rowOf(decision.next));
      return Math.max(0, ...refused.map(([, d]) => (d.allowed ? 0 : d.lockedUntil)));
    });
    if (refusedUntil > now) throw RateLimitedError.login(Math.max(1, Math.ceil((refusedUntil - now) / 1000)));
  }

  /** Forgets the account's failures and takes this attempt back from the address's count. */
  async succeeded(em: EntityManager, keys: AttemptKeys): Promise<void> {
    await em.nativeDelete(LoginThrottle, { key: keys.account });
    if (keys.address) {
      await em.execute(`update "login_throttle" set "failures" = greatest("failures" - 1, 0) where "key" = ?`, [keys.address]);
    }
  }
}

function stateOf(row: LoginThrottle): ThrottleState {
  return {
    failures: row.failures,
    windowStartedAt: row.windowStartedAt.getTime(),
    lockouts: row.lockouts,
    lockedUntil: row.lockedUntil ? row.lockedUntil.getTime() : null,
  };
}

function rowOf(state: ThrottleState): Pick<LoginThrottle, 'failures' | 'windowStartedAt' | 'lockouts' | 'lockedUntil'> {
  return {
    failures: state.failures,
    windowStartedAt: new Date(state.windowStartedAt),
    lockouts: state.lockouts,
    lockedUntil: state.lockedUntil === null ? null : new Date(state.lockedUntil),
  };
}
