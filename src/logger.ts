import { pino, type DestinationStream, type Logger } from 'pino';

/** Cradle's structured logger (pino). Created per server; never a module-level singleton. */
export type AppLogger = Logger;

/**
 * Paths removed from every log line: defence in depth behind the rule that request variables,
 * results and free text are never logged in the first place.
 */
export const REDACTED_PATHS: readonly string[] = [
  'variables', '*.variables', 'input', '*.input', 'args', '*.args',
  'password', '*.password', 'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'givenName', '*.givenName', 'familyName', '*.familyName', 'birthDate', '*.birthDate', 'mrn', '*.mrn',
  'phone', '*.phone', 'email', '*.email', 'note', '*.note', 'answers', '*.answers', 'data', '*.data',
  'query', '*.query',
  // The Vault token of the transit KEK (CRADLE_VAULT_TOKEN), wherever an object carrying it could end up.
  'vaultToken', '*.vaultToken', 'headers["x-vault-token"]', '*.headers["x-vault-token"]', 'req.headers["x-vault-token"]',
  'kms.token', '*.kms.token', 'fieldEncryption.kms.token', '*.fieldEncryption.kms.token',
  'CRADLE_VAULT_TOKEN', '*.CRADLE_VAULT_TOKEN',
];

/** Creates the server's logger; `destination` lets tests capture output. */
export function createLogger(level: string, destination?: DestinationStream): AppLogger {
  return pino(
    {
      level,
      base: { service: 'cradle' },
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
      serializers: { err: describeErrorSafely },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * Describes an error for the log without its message: driver and library messages can quote the
 * values that failed (a PostgreSQL unique violation quotes the duplicate e-mail address), so only
 * the error's class, its code and the stack's frames are kept.
 */
export function describeErrorSafely(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 12);
  const code = (error as { code?: unknown }).code;
  return { type: error.name, ...(typeof code === 'string' ? { code } : {}), stack: frames.join('\n') };
}
