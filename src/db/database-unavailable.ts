/**
 * Node's codes for a TCP connection that could not be made or broke: the server is down,
 * restarting, or unreachable for now.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs that say the server cannot serve this session now, although the statement was fine:
 * class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
 * cannot_connect_now (starting up or shutting down), 53300 too_many_connections, and 57014
 * query_canceled (the statement timeout, or a cancel during shutdown).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/**
 * What `pg` 8 and `pg-pool` 3 say, without a code, when a connection breaks, cannot be made in
 * time, or no pooled connection frees up in time (MikroORM keeps the message, prefixed with the query).
 */
const DRIVER_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Query read timeout',
];

/**
 * Whether an error (a `pg` error, a MikroORM `DriverException` wrapping one, or anything holding
 * one as its `cause` or `originalError`) means the database is unavailable for now rather than
 * that the operation is wrong: the caller may retry it. Never looks at anything but codes and the
 * driver's fixed messages.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (DRIVER_MESSAGES.some((m) => (current as Error).message.includes(m))) return true;
    current = (current as { originalError?: unknown }).originalError ?? current.cause;
  }
  return false;
}
