import { defineEntity, p } from '@mikro-orm/core';

/**
 * Failed-login bookkeeping for one key: an account (`account:<sha-256 of the e-mail>`, whether or
 * not the account exists) or a client address (`ip:<address>`). Kept in the database so every
 * instance sees the same counts. See `auth/session-lockout.ts` for the policy.
 */
export const LoginThrottleEntity = defineEntity({
  name: 'LoginThrottle',
  tableName: 'login_throttle',
  properties: {
    key: p.string().length(100).primary(),
    /** Attempts counted in the current window (counted when they start; a success takes its own back). */
    failures: p.integer(),
    windowStartedAt: p.datetime(),
    /** Lockouts so far; each one lasts twice as long as the one before. */
    lockouts: p.integer(),
    lockedUntil: p.datetime().nullable(),
  },
});

/** A login-throttle row. */
export class LoginThrottle extends LoginThrottleEntity.class {}
LoginThrottleEntity.setClass(LoginThrottle);
