/**
 * WebSocket close codes Cradle uses beyond graphql-ws's own (4400 bad request, 4408 init timeout,
 * 4409 subscriber exists, 4429 too many init requests, 4500 internal). Cradle closes with 4401 when
 * `connection_init` carries no valid token and when the token expires (sign in again, then resume).
 * Clients should reconnect and resume with `since: <last cursor>` after any of these.
 */
export const CradleCloseCode = {
  /** The server is restarting or shutting down (RFC 6455 "service restart"). */
  ServiceRestart: 1012,
  /** No valid token in `connection_init`, or the token expired while connected. */
  Unauthorized: 4401,
  /** The subscriber read too slowly and its bounded send buffer filled up. */
  SlowConsumer: 4413,
} as const;
