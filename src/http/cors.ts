import type { IncomingHttpHeaders } from 'node:http';

/** Methods a browser on an allowed origin may use on `/graphql`. */
export const CORS_ALLOWED_METHODS = 'GET, POST, OPTIONS';

/**
 * Request headers a browser on an allowed origin may send: the JSON body's type, the bearer token,
 * and the two headers Apollo's CSRF prevention accepts in place of a non-simple content type.
 */
export const CORS_ALLOWED_HEADERS = 'content-type, authorization, apollo-require-preflight, x-apollo-operation-name';

/** Response headers a cross-origin script may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = 'x-request-id, retry-after';

/** How long a browser may cache a preflight answer, in seconds (Chromium caps it at 7200). */
export const CORS_MAX_AGE_SECONDS = 600;

/** The answer to an `OPTIONS` request: a status and the headers to send with an empty body. */
export interface PreflightAnswer {
  readonly status: 204 | 403;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Whether `origin` (a request's `Origin` header) is one of the configured cross-origin callers
 * (`CRADLE_ALLOWED_ORIGINS`, normalised by `loadConfig`). Compared after the same normalisation, so
 * `https://Dash.example:443` matches `https://dash.example`; `null` and anything unparsable never do.
 */
export function isCorsOriginAllowed(origin: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined || allowedOrigins.length === 0) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return allowedOrigins.includes(parsed.origin);
}

/**
 * The CORS headers for an actual (non-preflight) `/graphql` response. An allowed origin gets itself
 * back in `Access-Control-Allow-Origin`, never `*`; any other origin, or none, gets no CORS header,
 * so a browser withholds the response from the calling page. `Vary: Origin` is always sent, since
 * the answer depends on it. No credentials mode: Cradle uses no cookies, only `Authorization`.
 */
export function corsResponseHeaders(origin: string | undefined, allowedOrigins: readonly string[]): Record<string, string> {
  if (!isCorsOriginAllowed(origin, allowedOrigins)) return { vary: 'Origin' };
  return { vary: 'Origin', 'access-control-allow-origin': origin!, 'access-control-expose-headers': CORS_EXPOSED_HEADERS };
}

/**
 * Answers an `OPTIONS` request to `/graphql`. A CORS preflight (it carries `Origin` and
 * `Access-Control-Request-Method`) from an allowed origin gets 204 with what it may send; from any
 * other origin 403 with no CORS header. A plain `OPTIONS` gets 204 with `Allow`.
 */
export function answerPreflight(headers: IncomingHttpHeaders, allowedOrigins: readonly string[]): PreflightAnswer {
  const origin = headers.origin;
  if (origin === undefined || headers['access-control-request-method'] === undefined) {
    return { status: 204, headers: { allow: CORS_ALLOWED_METHODS, vary: 'Origin' } };
  }
  if (!isCorsOriginAllowed(origin, allowedOrigins)) return { status: 403, headers: { vary: 'Origin' } };
  return {
    status: 204,
    headers: {
      vary: 'Origin',
      'access-control-allow-origin': origin,
      'access-control-allow-methods': CORS_ALLOWED_METHODS,
      'access-control-allow-headers': CORS_ALLOWED_HEADERS,
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    },
  };
}
