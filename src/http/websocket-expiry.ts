import { CradleCloseCode, CradleCloseReason } from '../realtime/close-codes.js';

/** What {@link closeWhenTokenExpires} needs of a socket (the `ws` WebSocket has it). */
export interface ClosableSocket {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/** The longest delay `setTimeout` honours (about 24.8 days); longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Closes an authenticated WebSocket with 4401 "Token expired" when its access token expires, so a
 * live connection never outlives the token that opened it; the client reconnects with a fresh token
 * and resumes with `since`. The timer ends with the socket.
 *
 * @param expiresAt when the token expires
 * @param now the server's clock, in milliseconds since the epoch
 */
export function closeWhenTokenExpires(socket: ClosableSocket, expiresAt: Date, now: () => number): void {
  const delay = Math.min(Math.max(0, expiresAt.getTime() - now()), MAX_TIMER_MS);
  const timer = setTimeout(() => socket.close(CradleCloseCode.Unauthorized, CradleCloseReason.TokenExpired), delay);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
