import { z } from 'zod';

/** Where Cradle keeps its data: the embedded PGlite default or a PostgreSQL server. */
export type DatabaseConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string | null }
  | { readonly kind: 'postgres'; readonly url: string };

/** Which event bus carries events between instances: in-process (one instance) or Redis. */
export type BusConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string };

/** Cradle's whole configuration, validated once at start. Nothing else reads `process.env`. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly database: DatabaseConfig;
  readonly bus: BusConfig;
  /** Secret for signing access tokens (HS256); at least 32 bytes. */
  readonly tokenSecret: string;
  /** Key id placed in the token header so signing keys can rotate. */
  readonly tokenKeyId: string;
  /** Access token lifetime in seconds. */
  readonly accessTokenTtlSeconds: number;
  /** Automatic logoff: a session ends after this many minutes without an authenticated request. */
  readonly sessionIdleMinutes: number;
  /** A session (with its refreshes) ends this many hours after login, whatever the activity. */
  readonly sessionMaxHours: number;
  /** Seed the synthetic demo tenant when the database has no tenant yet. */
  readonly demoSeed: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How often the outbox relay polls for unpublished events, in milliseconds (a safety net; writes also wake it). */
  readonly relayPollMs: number;
  /** How long graceful shutdown waits for in-flight requests, in milliseconds. */
  readonly shutdownGraceMs: number;
  /** How long break-glass emergency access lasts, in minutes. */
  readonly emergencyAccessMinutes: number;
  /** Largest accepted HTTP request body, in bytes. */
  readonly maxBodyBytes: number;
  /** How many proxies in front of Cradle append to X-Forwarded-For and are trusted (0: use the TCP peer). */
  readonly trustedProxyHops: number;
  /** Most events a live subscriber may have waiting before it is cut off (close 4413). */
  readonly liveBufferEvents: number;
  /** Longest an event may wait for a live subscriber, in milliseconds, before it is cut off (close 4413). */
  readonly liveMaxLagMs: number;
  /** Interval of graphql-ws keep-alive pings, in milliseconds (dead mobile connections are dropped after one missed pong). */
  readonly wsKeepAliveMs: number;
  /**
   * Production mode (`CRADLE_PRODUCTION`, or `NODE_ENV=production`): introspection is refused and
   * validation messages carry no "Did you mean …" suggestions, on HTTP and WebSocket alike.
   */
  readonly production: boolean;
  /**
   * Browser origins (normalised `scheme://host[:port]`) allowed to open a WebSocket besides the
   * server's own host. Clients that send no `Origin` (native apps, servers) are always allowed.
   */
  readonly allowedOrigins: readonly string[];
  /** Limits every GraphQL operation must stay within, on both transports. */
  readonly operationLimits: OperationLimitsConfig;
}

/** Static limits on the shape of a GraphQL operation, checked at validation (before any resolver runs). */
export interface OperationLimitsConfig {
  /** Deepest nesting of fields (a root field is depth 1; introspection fields are not counted). */
  readonly maxDepth: number;
  /** Most aliases in one operation (fragments counted where they are spread). */
  readonly maxAliases: number;
  /** Highest estimated cost: each field 1, lists multiplied by their page size (`first`) or 10. */
  readonly maxCost: number;
  /** Most directives written in one document (bounds directive-overloading documents). */
  readonly maxDirectives: number;
}

/** Thrown by {@link loadConfig} with every problem found, each naming its variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * A development-only signing secret, used when `CRADLE_TOKEN_SECRET` is unset and no `DATABASE_URL`
 * is configured (the embedded demo). With a real database a secret must be configured.
 */
const DEMO_TOKEN_SECRET = 'cradle-embedded-demo-only-token-secret-not-for-production';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const integerString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const envSchema = z.object({
  PORT: integerString(0, 65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  CRADLE_DATA_DIR: z.string().min(1).default('./.cradle'),
  CRADLE_IN_MEMORY_DB: booleanString.default(false),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
    .optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]*$/, { message: 'may hold only letters, digits, ":", "_" and "-"' }).default('cradle:'),
  CRADLE_TOKEN_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  CRADLE_TOKEN_KEY_ID: z.string().min(1).default('k1'),
  // The floor is 1 s, not 60: a shorter token is never less safe, and the expiry tests need seconds.
  CRADLE_ACCESS_TOKEN_TTL_SECONDS: integerString(1, 3600).default(900),
  CRADLE_SESSION_IDLE_MINUTES: integerString(1, 1440).default(30),
  CRADLE_SESSION_MAX_HOURS: integerString(1, 720).default(12),
  CRADLE_DEMO_SEED: booleanString.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CRADLE_RELAY_POLL_MS: integerString(10, 60000).default(1000),
  CRADLE_SHUTDOWN_GRACE_MS: integerString(0, 120000).default(10000),
  CRADLE_EMERGENCY_ACCESS_MINUTES: integerString(5, 24 * 60).default(240),
  CRADLE_MAX_BODY_BYTES: integerString(1024, 10 * 1024 * 1024).default(1024 * 1024),
  CRADLE_TRUSTED_PROXY_HOPS: integerString(0, 5).default(0),
  CRADLE_LIVE_BUFFER_EVENTS: integerString(10, 100_000).default(1000),
  CRADLE_LIVE_MAX_LAG_MS: integerString(100, 600_000).default(30_000),
  CRADLE_WS_KEEPALIVE_MS: integerString(1000, 120_000).default(15_000),
  CRADLE_PRODUCTION: booleanString.optional(),
  NODE_ENV: z.string().optional(),
  CRADLE_ALLOWED_ORIGINS: z.string().default(''),
  CRADLE_MAX_QUERY_DEPTH: integerString(2, 100).default(10),
  CRADLE_MAX_ALIASES: integerString(0, 1000).default(15),
  CRADLE_MAX_QUERY_COST: integerString(10, 1_000_000).default(5000),
  CRADLE_MAX_DIRECTIVES: integerString(0, 1000).default(50),
});

/**
 * Parses `CRADLE_ALLOWED_ORIGINS` (comma-separated) into normalised origins, reporting entries that
 * are not an `http(s)://host[:port]` origin.
 */
function parseAllowedOrigins(list: string, problems: string[]): string[] {
  const origins: string[] = [];
  for (const entry of list.split(',').map((o) => o.trim()).filter(Boolean)) {
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      url = null;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username) {
      problems.push(`CRADLE_ALLOWED_ORIGINS: "${entry}" is not an origin; write it as https://host[:port], comma-separated`);
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

/**
 * Reads and validates configuration from an environment map (normally `process.env`).
 * Reports every invalid setting at once, each naming the variable and what to do.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Readonly<Config> {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(defined);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const usingRealDatabase = e.DATABASE_URL !== undefined;
  if (usingRealDatabase && e.CRADLE_TOKEN_SECRET === undefined) {
    problems.push('CRADLE_TOKEN_SECRET: required when DATABASE_URL is set (generate one with `openssl rand -hex 32`)');
  }
  const allowedOrigins = parseAllowedOrigins(e.CRADLE_ALLOWED_ORIGINS, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const database: DatabaseConfig = usingRealDatabase
    ? { kind: 'postgres', url: e.DATABASE_URL! }
    : { kind: 'pglite', dataDir: e.CRADLE_IN_MEMORY_DB ? null : e.CRADLE_DATA_DIR };
  const bus: BusConfig = e.REDIS_URL ? { kind: 'redis', url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : { kind: 'memory' };

  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    database,
    bus,
    tokenSecret: e.CRADLE_TOKEN_SECRET ?? DEMO_TOKEN_SECRET,
    tokenKeyId: e.CRADLE_TOKEN_KEY_ID,
    accessTokenTtlSeconds: e.CRADLE_ACCESS_TOKEN_TTL_SECONDS,
    sessionIdleMinutes: e.CRADLE_SESSION_IDLE_MINUTES,
    sessionMaxHours: e.CRADLE_SESSION_MAX_HOURS,
    demoSeed: e.CRADLE_DEMO_SEED ?? !usingRealDatabase,
    logLevel: e.LOG_LEVEL,
    relayPollMs: e.CRADLE_RELAY_POLL_MS,
    shutdownGraceMs: e.CRADLE_SHUTDOWN_GRACE_MS,
    emergencyAccessMinutes: e.CRADLE_EMERGENCY_ACCESS_MINUTES,
    maxBodyBytes: e.CRADLE_MAX_BODY_BYTES,
    trustedProxyHops: e.CRADLE_TRUSTED_PROXY_HOPS,
    liveBufferEvents: e.CRADLE_LIVE_BUFFER_EVENTS,
    liveMaxLagMs: e.CRADLE_LIVE_MAX_LAG_MS,
    wsKeepAliveMs: e.CRADLE_WS_KEEPALIVE_MS,
    production: e.CRADLE_PRODUCTION ?? e.NODE_ENV === 'production',
    allowedOrigins: Object.freeze(allowedOrigins),
    operationLimits: Object.freeze({
      maxDepth: e.CRADLE_MAX_QUERY_DEPTH,
      maxAliases: e.CRADLE_MAX_ALIASES,
      maxCost: e.CRADLE_MAX_QUERY_COST,
      maxDirectives: e.CRADLE_MAX_DIRECTIVES,
    }),
  });
}
