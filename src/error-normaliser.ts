import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable } from './db/database-unavailable.js';
import { AppError, ServiceUnavailableError } from './errors.js';

/** Codes graphql-js and Apollo give to errors in what the client sent. */
const CLIENT_INPUT_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  // Standard clients retry with the full query on these two (automatic persisted queries).
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Whether Apollo refused the request with a client status (4xx) but no code: the persisted-query
 * checks (a hash that does not match the query, an unknown protocol version) raise such errors.
 */
function isCodelessRequestRefusal(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError) || error.originalError || error.extensions['code'] !== undefined) return false;
  const status = (error.extensions['http'] as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Removes the values a client sent from a graphql-js message. graphql-js quotes rejected values
 * ("got invalid value 9.5", "non-integer value: \"Jane\""); an error must never echo PHI, so only
 * the names of fields and types are kept.
 */
export function stripValues(message: string): string {
  return message
    .replace(/ got invalid value (?:"(?:[^"\\]|\\.)*"|[^"])*?(?= at "|; |$)/g, ' has an invalid value')
    .replace(/(cannot represent [\w -]*value): [[{][\s\S]*$/, '$1')
    .replace(/(value|Value)(: | )("(?:[^"\\]|\\.)*"|[^\s;.,]+(?:\.\d+)?(?=[;.,]|$))/g, '$1')
    .replace(/Value "(?:[^"\\]|\\.)*" does not exist/g, 'The value does not exist')
    .replace(/, found [\s\S]*?(?=[;]|\.$|$)/g, '')
    .replace(/String cannot represent a non string value[\s\S]*?(?=[;]|$)/g, 'String cannot represent a non-string value')
    .replace(/ invalid date-time-string [\s\S]*$/, ' invalid date-time string.');
}

/** Finds which input field a graphql-js input error is about, as a dotted path. */
export function inputFieldOf(error: GraphQLError): string | null {
  const message = error.message;
  const variable = /^Variable "\$(\w+)"/.exec(message)?.[1];
  const at = / at "([^"]+)"/.exec(message)?.[1];
  const base = at ?? variable ?? null;
  const named = /Field "(\w+)" (?:is not defined by type|of required type)/.exec(message)?.[1];
  if (named) return base ? `${base}.${named}` : named;
  if (base) return base;
  // A literal in the query document: name the argument or field written just before the value.
  const location = error.locations?.[0];
  const body = error.source?.body;
  if (location && body) {
    const lines = body.split('\n');
    const offset = lines.slice(0, location.line - 1).reduce((n, line) => n + line.length + 1, 0) + location.column - 1;
    const before = body.slice(Math.max(0, offset - 200), offset);
    return /(\w+)\s*:\s*[[{]?\s*$/.exec(before)?.[1] ?? null;
  }
  return null;
}

/** What a client may see of an `AppError`: its message and extensions, without the HTTP status Apollo reads from them. */
function appErrorShown(error: AppError): Pick<GraphQLFormattedError, 'message' | 'extensions'> {
  const { http: _status, ...extensions } = error.extensions;
  return { message: error.message, extensions };
}

/**
 * Turns any error into what the client may see. An `AppError` passes through. The database being
 * unreachable (a driver connection failure, a server shutting down or starting, no connection
 * within the connect timeout) becomes {@link ServiceUnavailableError.database}: retryable, no
 * internals. An error in what the client sent keeps its code, loses any echoed values, and names
 * the field at fault; a request Apollo refused with a 4xx status but no code becomes BAD_REQUEST.
 * Anything else becomes a generic INTERNAL_SERVER_ERROR (it was logged, without
 * PHI, where it happened).
 */
export function normaliseError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  if (original instanceof AppError) {
    return { ...base, ...appErrorShown(original) };
  }
  if (isDatabaseUnavailable(original)) {
    return { ...base, ...appErrorShown(ServiceUnavailableError.database()) };
  }
  const code = formatted.extensions?.['code'];
  // graphql-js reports variable coercion failures as a GraphQLError wrapping another GraphQLError.
  const fromGraphQL = error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError);
  if (typeof code === 'string' && CLIENT_INPUT_CODES.has(code) && fromGraphQL) {
    const isValueError = /invalid value|cannot represent|Expected value of type|is not defined by type|of required type|does not exist in/.test(error.message);
    const field = inputFieldOf(error);
    return {
      ...base,
      message: stripValues(error.message),
      extensions: { code: isValueError ? 'BAD_USER_INPUT' : code, ...(field ? { field } : {}) },
    };
  }
  if (error instanceof GraphQLError && !error.originalError && code === 'UNAUTHENTICATED') {
    return { ...base, message: formatted.message, extensions: { code } };
  }
  if (isCodelessRequestRefusal(error)) {
    return { ...base, message: stripValues(error.message), extensions: { code: 'BAD_REQUEST' } };
  }
  return { ...base, message: 'Something went wrong on our side.', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * Removes graphql-js's "Did you mean …?" suggestions from a message: they reveal field, type and
 * argument names to a caller who is probing the schema (production hides them).
 */
export function stripSuggestions(message: string): string {
  return message.replace(/ ?Did you mean [^?]*\?/g, '').trim();
}

/**
 * The error normaliser a server uses: {@link normaliseError}, and in production (`hideSuggestions`)
 * without "Did you mean …?" suggestions. Used for HTTP and WebSocket alike.
 */
export function createErrorNormaliser(options: { readonly hideSuggestions: boolean }): typeof normaliseError {
  if (!options.hideSuggestions) return normaliseError;
  return (formatted, error) => {
    const normalised = normaliseError(formatted, error);
    return { ...normalised, message: stripSuggestions(normalised.message) };
  };
}
