import type { SessionEndReason } from '../db/entities/index.js';

/**
 * Why sessions ended: one of the revocation reasons stored on the session, or `EXPIRED` when a
 * request found a session past its idle or absolute expiry (expiry is not written to the row).
 */
export type SessionEnd = SessionEndReason | 'EXPIRED';

/**
 * Sessions that have just ended, announced so that every WebSocket authenticated with one of them
 * closes at once, on every instance. Ids only, never PHI.
 */
export interface SessionsEnded {
  readonly sessionIds: readonly string[];
  readonly reason: SessionEnd;
}

/**
 * Told by `SessionService` after sessions end (the database change is already committed). It must
 * not reject: a failure to pass the news on is the listener's to log, and never undoes or fails the
 * logout, refresh or request that ended the sessions.
 */
export type SessionEndListener = (ended: SessionsEnded) => Promise<void>;
