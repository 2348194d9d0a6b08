/**
 * WebSocket close codes Cradle uses beyond graphql-ws's own (4400 bad request, 4408 init timeout,
 * 4409 subscriber exists, 4429 too many init requests, 4500 internal). Clients should reconnect and
 * resume with `since: <last cursor>` after any of these.
 *
 * 4401 comes with one of the {@link CradleCloseReason} reasons:
 * - `Unauthorized`: `connection_init` carried no valid token, or its session is not active.
 * - `Token expired`: the access token that opened the connection expired (refresh, reconnect).
 * - `Session rotated`: the session was refreshed, on any instance; its access token no longer
 *   works. Reconnect with the access token the refresh returned.
 * - `Session revoked`: the session ended on any instance (logout, reuse of a refresh token of its
 *   login, or a request that found it idle or past its absolute expiry). Sign in again.
 * The last two arrive at once through the bus; if the bus was down at that moment, the socket is
 * closed with `Token expired` when its token expires instead.
 */
export const CradleCloseCode = {
  /** The server is restarting or shutting down (RFC 6455 "service restart"). */
  ServiceRestart: 1012,
  /**
   * The connection could not be authenticated because the database is unreachable for now
   * (RFC 6455 "try again later"): reconnect after a short delay, then resume with `since`.
   */
  TryAgainLater: 1013,
  /** No valid token in `connection_init`, the token expired, or its session ended while connected. */
  Unauthorized: 4401,
  /** The subscriber read too slowly and its bounded send buffer filled up. */
  SlowConsumer: 4413,
} as const;

/** The reasons sent with {@link CradleCloseCode.Unauthorized} (see above for what each asks of the client), and with {@link CradleCloseCode.TryAgainLater}. */
export const CradleCloseReason = {
  Unauthorized: 'Unauthorized',
  TokenExpired: 'Token expired',
  SessionRotated: 'Session rotated',
  SessionRevoked: 'Session revoked',
  /** Sent with {@link CradleCloseCode.TryAgainLater}. */
  TryAgainLater: 'Service unavailable: retry shortly',
} as const;
