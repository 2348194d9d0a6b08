/**
 * Decides whether a WebSocket upgrade may proceed, given its `Origin` and `Host` headers. A browser
 * always sends `Origin` on a WebSocket, so checking it stops other sites from opening sockets with
 * a user's credentials (cross-site WebSocket hijacking). Allowed: no `Origin` at all (native apps,
 * servers: not a browser, so not that attack), an origin on the server's own host, and the
 * configured origins (`CRADLE_ALLOWED_ORIGINS`, normalised by `loadConfig`).
 */
export function isWebSocketOriginAllowed(origin: string | undefined, host: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && parsed.host === host.toLowerCase()) return true;
  return allowedOrigins.includes(parsed.origin);
}
