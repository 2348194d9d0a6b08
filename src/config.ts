import { join } from 'node:path';
import { z } from 'zod';
import { DEMO_AUDIT_CHECKPOINT_KEY, DEMO_TOKEN_SECRET, productionSecretProblems, resolveSecretFiles, secretsRequired } from './config-secrets.js';

/** Where Cradle keeps its data: the embedded PGlite default or a PostgreSQL server. */
export type DatabaseConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string | null }
  | { readonly kind: 'postgres'; readonly url: string; readonly timeouts?: DatabaseTimeouts };

/**
 * Time limits on PostgreSQL connections, so that an operation fails promptly, as retryable,
 * while the database is unreachable instead of waiting for it without end.
 */
export interface DatabaseTimeouts {
  /** Longest wait for a connection, in milliseconds: to open a new one, or for a pooled one to come free. */
  readonly connectMs: number;
  /** Longest a statement may run, in milliseconds (PostgreSQL's `statement_timeout`); 0 for no limit. Migrations have none. */
  readonly statementMs: number;
}

/** The limits used when a configuration names none (`CRADLE_DB_CONNECT_TIMEOUT_MS`, `CRADLE_DB_STATEMENT_TIMEOUT_MS`). */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = Object.freeze({ connectMs: 5000, statementMs: 30_000 });

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
  /** Secret for signing access tokens (HS256); at least 32 bytes. The published demo secret only outside production without `DATABASE_URL`. */
  readonly tokenSecret: string;
  /** Key id placed in the token header so signing keys can rotate. */
  readonly tokenKeyId: string;
  /** Access token lifetime in seconds. */
  readonly accessTokenTtlSeconds: number;
  /** Automatic logoff: a session ends after this many minutes without an authenticated request. */
  readonly sessionIdleMinutes: number;
  /** A session (with its refreshes) ends this many hours after login, whatever the activity. */
  readonly sessionMaxHours: number;
  /** Seed the synthetic demo tenant when the database has no tenant yet (never in production). */
  readonly demoSeed: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How often the outbox relay polls for unpublished events, in milliseconds (a safety net; writes also wake it). */
  readonly relayPollMs: number;
  /** How long graceful shutdown waits for in-flight requests, in milliseconds. */
  readonly shutdownGraceMs: number;
  /** How long break-glass emergency access lasts, in minutes. */
  readonly emergencyAccessMinutes: number;
  /** The smallest group research answers may show (k-anonymity small-cell threshold); smaller groups are withheld. */
  readonly researchMinGroupSize: number;
  /**
   * Retention of clinical records (status updates), in years after a patient's last one was
   * recorded: `retention:purge` destroys records past it. At least 6 (HIPAA's documentation floor).
   */
  readonly clinicalRetentionYears: number;
  /** How long after logging it a patient may delete her own status update (a correction), in minutes. */
  readonly selfCorrectionMinutes: number;
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
   * server's own host, and to call `/graphql` over HTTP from another origin (CORS). Clients that
   * send no `Origin` (native apps, servers) are always allowed.
   */
  readonly allowedOrigins: readonly string[];
  /**
   * Serve the self-hosted GraphiQL explorer (`CRADLE_EXPLORER`; default off with `NODE_ENV=production`
   * or `CRADLE_PRODUCTION=true`, on otherwise). Its page and assets come from this server only.
   */
  readonly explorer: boolean;
  /** Limits every GraphQL operation must stay within, on both transports. */
  readonly operationLimits: OperationLimitsConfig;
  /** Field-level encryption at rest: where the key-encryption key comes from (`src/crypto`). */
  readonly fieldEncryption: FieldEncryptionConfig;
  /** Signed checkpoints of the audit chains, kept outside the database (see `src/audit/audit-checkpoint.ts`). */
  readonly auditCheckpoint: AuditCheckpointConfig;
  /**
   * How often the alerting worker (`src/alerting`) polls PostgreSQL for committed status updates to
   * evaluate, due escalation pages and due scheduled protocols, in milliseconds.
   */
  readonly alertingPollMs: number;
  /**
   * Most outbox events the alerting worker evaluates for one tenant before it turns to the next
   * tenant with pending events (a turn also ends after about 100 ms): one tenant's backlog delays
   * another tenant's alerts by at most one turn.
   */
  readonly alertingPageEvents: number;
  /** Secure messaging (the Signal key directory and mailbox, `src/crypto/signal`). */
  readonly messaging: MessagingConfig;
  /** Caps on what one WebSocket connection may hold open at once. */
  readonly wsLimits: WebSocketLimitsConfig;
  /** Where `/metrics` is served: never on the public listener. */
  readonly metrics: MetricsConfig;
  /** OpenTelemetry tracing of GraphQL operations; null (the default) when no OTLP endpoint is configured. */
  readonly tracing: TracingConfig | null;
}

/**
 * OpenTelemetry tracing, read from OpenTelemetry's standard variables: on only when an OTLP
 * endpoint is set (and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`).
 */
export interface TracingConfig {
  /**
   * The OTLP/HTTP traces URL spans are posted to (JSON): `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as
   * is, else `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` appended.
   */
  readonly endpoint: string;
  /** `OTEL_EXPORTER_OTLP_TRACES_HEADERS` or `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`): sent with every export. Secrets: never log them. */
  readonly headers: Readonly<Record<string, string>>;
  /** `OTEL_SERVICE_NAME`: the `service.name` of the spans; `cradle` by default. */
  readonly serviceName: string;
}

/**
 * Caps on one WebSocket connection, so a single socket cannot hold unbounded server memory. An
 * operation over a cap is refused with RATE_LIMITED; the connection and its other operations go on.
 */
export interface WebSocketLimitsConfig {
  /** Most subscriptions one connection may have open at once (`CRADLE_WS_MAX_SUBSCRIPTIONS`). */
  readonly maxSubscriptions: number;
  /** Most queries and mutations one connection may have executing at once (`CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS`). */
  readonly maxInFlightOperations: number;
}

/**
 * The internal listener that serves Prometheus's `/metrics` (the public listener answers 404 for
 * it). It is meant for a private interface; `token`, when set, is also required as a bearer token.
 */
export interface MetricsConfig {
  /** `CRADLE_METRICS_PORT`; 0 picks a free port. Null (`off`) serves no metrics at all. */
  readonly port: number | null;
  /** `CRADLE_METRICS_HOST`: the interface of the metrics listener; loopback by default. */
  readonly host: string;
  /** `CRADLE_METRICS_TOKEN`: a bearer token scrapes must present; null for none. A secret: never log it. */
  readonly token: string | null;
}

/** Limits and timings of secure messaging. */
export interface MessagingConfig {
  /** Most messaging devices one user may register. */
  readonly maxDevicesPerUser: number;
  /** Most one-time prekeys (EC or Kyber, each) in one upload. */
  readonly maxPreKeysPerUpload: number;
  /** A device is told its one-time prekeys run low when either count falls below this. */
  readonly lowPreKeyThreshold: number;
  /** Largest ciphertext body of one envelope, in bytes (decoded). */
  readonly maxEnvelopeBytes: number;
  /** Largest sum of ciphertext bodies in one `sendMessage`, in bytes (decoded). */
  readonly maxSendBytes: number;
  /** How long an unacknowledged envelope is kept, in milliseconds. */
  readonly retentionMs: number;
  /** How often expired envelopes are purged, in milliseconds. */
  readonly purgeIntervalMs: number;
  /** Bundles one user may claim of one device of another per hour (how fast one account can drain a device's one-time prekeys). */
  readonly claimsPerDevicePerHour: number;
  /** Bundles (devices) one user may claim in all per hour. */
  readonly claimsPerHour: number;
  /** Envelopes one user may send per minute, over all her devices. */
  readonly sendEnvelopesPerMinute: number;
  /** Ciphertext bytes (decoded) one user may send per minute, over all her devices. */
  readonly sendBytesPerMinute: number;
  /** Most unacknowledged envelopes a device's mailbox may hold; a send beyond it is refused. */
  readonly mailboxMaxEnvelopes: number;
  /** Most unacknowledged ciphertext bytes (decoded) a device's mailbox may hold. */
  readonly mailboxMaxBytes: number;
}

/** Where and how audit chain heads are checkpointed. */
export interface AuditCheckpointConfig {
  /** The append-only checkpoint file; null disables checkpoints (then a cut-off tail is found only through the chain-head row). */
  readonly file: string | null;
  /** HMAC-SHA256 key signing each checkpoint: its own secret (`CRADLE_AUDIT_CHECKPOINT_KEY`), derived from no other. */
  readonly key: string;
  /**
   * A shell command run after each checkpoint with the new signed lines on its standard input
   * (`CRADLE_AUDIT_CHECKPOINT_HOOK`), to ship them off the host; null for none.
   */
  readonly hook: string | null;
  /** Longest the hook may run, in milliseconds, before it is killed (and the failure logged). */
  readonly hookTimeoutMs: number;
  /** How often checkpoints are written, in milliseconds (and once at shutdown). */
  readonly intervalMs: number;
}

/**
 * Where the key-encryption key (KEK) that wraps the data keys of field encryption comes from:
 * `CRADLE_KEK` (base64, 32 bytes), `CRADLE_KEK_FILE` (a file holding that), a key file generated
 * under the data directory on first start (development), or a random key that lives as long as the
 * process (in-memory databases only). Reading and generating files is `crypto/kek-source.ts`'s job.
 */
export type KekSource =
  | { readonly kind: 'inline'; readonly keyBase64: string }
  | { readonly kind: 'file'; readonly path: string; readonly createIfMissing: boolean }
  | { readonly kind: 'ephemeral' };

/**
 * A KMS holding the current KEK (`CRADLE_KMS`): HashiCorp Vault's or OpenBao's transit secrets
 * engine (`crypto/vault-transit-kek.ts`). The token is a secret: never log this object.
 */
export interface VaultTransitKmsConfig {
  readonly kind: 'vault-transit';
  /** `CRADLE_VAULT_ADDR`, without a trailing slash. */
  readonly address: string;
  /** `CRADLE_VAULT_TOKEN` (inline) or `CRADLE_VAULT_TOKEN_FILE` (read before every request). */
  readonly token: { readonly value: string } | { readonly file: string };
  /** `CRADLE_VAULT_TRANSIT_MOUNT`; `transit` by default. */
  readonly mount: string;
  /** `CRADLE_VAULT_TRANSIT_KEY`: a transit key created with `derived=true`. */
  readonly keyName: string;
  /** `CRADLE_VAULT_NAMESPACE`; null when unset. */
  readonly namespace: string | null;
  /** `CRADLE_KMS_TIMEOUT_MS`: longest one wrap or unwrap may take, retries included, in milliseconds. */
  readonly timeoutMs: number;
}

/** Settings of field-level encryption at rest. */
export interface FieldEncryptionConfig {
  /**
   * The local KEK. Without `kms` it is the current KEK: it wraps new data keys, and every data key
   * once `keys:rotate-kek` has run. With `kms` it is only a previous KEK (`CRADLE_KEK` or
   * `CRADLE_KEK_FILE`, for rotating from the local key to the KMS), or null when neither is set.
   */
  readonly kek: KekSource | null;
  /** Previous KEKs (base64, `CRADLE_KEK_PREVIOUS`, comma-separated): still unwrap keys not yet re-wrapped. */
  readonly previousKeksBase64: readonly string[];
  /** The KMS holding the current KEK; absent when the local KEK is current (`CRADLE_KMS=local`, the default). */
  readonly kms?: VaultTransitKmsConfig;
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

/** The default port of the internal metrics listener (`CRADLE_METRICS_PORT`). */
export const DEFAULT_METRICS_PORT = 9464;

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
  CRADLE_DB_CONNECT_TIMEOUT_MS: integerString(100, 600_000).default(DEFAULT_DATABASE_TIMEOUTS.connectMs),
  CRADLE_DB_STATEMENT_TIMEOUT_MS: integerString(0, 86_400_000).default(DEFAULT_DATABASE_TIMEOUTS.statementMs),
  CRADLE_SHUTDOWN_GRACE_MS: integerString(0, 120000).default(10000),
  CRADLE_EMERGENCY_ACCESS_MINUTES: integerString(5, 24 * 60).default(240),
  CRADLE_RESEARCH_MIN_GROUP_SIZE: integerString(2, 1000).default(11),
  CRADLE_CLINICAL_RETENTION_YEARS: integerString(6, 100).default(10),
  CRADLE_SELF_CORRECTION_MINUTES: integerString(0, 7 * 24 * 60).default(24 * 60),
  CRADLE_MAX_BODY_BYTES: integerString(1024, 10 * 1024 * 1024).default(1024 * 1024),
  CRADLE_TRUSTED_PROXY_HOPS: integerString(0, 5).default(0),
  CRADLE_LIVE_BUFFER_EVENTS: integerString(10, 100_000).default(1000),
  CRADLE_LIVE_MAX_LAG_MS: integerString(100, 600_000).default(30_000),
  CRADLE_WS_KEEPALIVE_MS: integerString(1000, 120_000).default(15_000),
  CRADLE_PRODUCTION: booleanString.optional(),
  NODE_ENV: z.string().optional(),
  CRADLE_ALLOWED_ORIGINS: z.string().default(''),
  CRADLE_EXPLORER: booleanString.optional(),
  CRADLE_MAX_QUERY_DEPTH: integerString(2, 100).default(10),
  CRADLE_MAX_ALIASES: integerString(0, 1000).default(15),
  CRADLE_MAX_QUERY_COST: integerString(10, 1_000_000).default(5000),
  CRADLE_MAX_DIRECTIVES: integerString(0, 1000).default(50),
  CRADLE_KEK: z.string().optional(),
  CRADLE_KEK_FILE: z.string().min(1).optional(),
  CRADLE_KEK_PREVIOUS: z.string().default(''),
  CRADLE_KMS: z.enum(['local', 'vault-transit'], { message: 'must be local or vault-transit' }).default('local'),
  CRADLE_VAULT_ADDR: z.string().optional(),
  CRADLE_VAULT_TOKEN: z.string().optional(),
  CRADLE_VAULT_TOKEN_FILE: z.string().min(1).optional(),
  CRADLE_VAULT_TRANSIT_MOUNT: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, { message: 'must be a mount path such as transit (letters, digits, ".", "_", "-", "/")' })
    .default('transit'),
  CRADLE_VAULT_TRANSIT_KEY: z.string().optional(),
  CRADLE_VAULT_NAMESPACE: z.string().optional(),
  CRADLE_KMS_TIMEOUT_MS: integerString(100, 120_000).default(5000),
  CRADLE_AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  CRADLE_AUDIT_CHECKPOINT_KEY: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  CRADLE_AUDIT_CHECKPOINT_INTERVAL_MS: integerString(1000, 86_400_000).default(60_000),
  CRADLE_AUDIT_CHECKPOINT_HOOK: z.string().min(1).optional(),
  CRADLE_AUDIT_CHECKPOINT_HOOK_TIMEOUT_MS: integerString(100, 600_000).default(30_000),
  CRADLE_ALERTING_POLL_MS: integerString(10, 60000).default(500),
  CRADLE_ALERTING_PAGE_EVENTS: integerString(1, 10_000).default(100),
  CRADLE_MESSAGING_MAX_DEVICES: integerString(1, 127).default(5),
  CRADLE_MESSAGING_MAX_PREKEYS_PER_UPLOAD: integerString(1, 1000).default(100),
  CRADLE_MESSAGING_LOW_PREKEYS: integerString(0, 1000).default(10),
  CRADLE_MESSAGING_MAX_ENVELOPE_BYTES: integerString(256, 1024 * 1024).default(64 * 1024),
  CRADLE_MESSAGING_MAX_SEND_BYTES: integerString(256, 8 * 1024 * 1024).default(512 * 1024),
  CRADLE_MESSAGING_RETENTION_DAYS: integerString(1, 365).default(30),
  CRADLE_MESSAGING_PURGE_INTERVAL_MS: integerString(1000, 86_400_000).default(3_600_000),
  CRADLE_MESSAGING_CLAIMS_PER_DEVICE_PER_HOUR: integerString(1, 100_000).default(6),
  CRADLE_MESSAGING_CLAIMS_PER_HOUR: integerString(1, 1_000_000).default(300),
  // At least the most envelopes one sendMessage may carry (256), so every valid send can pass.
  CRADLE_MESSAGING_SEND_ENVELOPES_PER_MINUTE: integerString(256, 1_000_000).default(300),
  CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: integerString(256, 1024 * 1024 * 1024).default(1024 * 1024),
  CRADLE_MESSAGING_MAILBOX_MAX_ENVELOPES: integerString(1, 10_000_000).default(5000),
  CRADLE_MESSAGING_MAILBOX_MAX_BYTES: integerString(256, 16 * 1024 * 1024 * 1024).default(32 * 1024 * 1024),
  CRADLE_WS_MAX_SUBSCRIPTIONS: integerString(1, 10_000).default(50),
  CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS: integerString(1, 1000).default(10),
  CRADLE_METRICS_PORT: z
    .union([z.literal('off'), integerString(0, 65535)], { message: 'must be a port from 0 to 65535, or off' })
    .default(DEFAULT_METRICS_PORT),
  CRADLE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  CRADLE_METRICS_TOKEN: z
    .string()
    .min(32, { message: 'must be at least 32 characters (generate one with `openssl rand -hex 32`)' })
    .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' })
    .optional(),
  OTEL_SDK_DISABLED: booleanString.optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { message: 'must be otlp or none' }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('cradle'),
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

/** Whether a string is the base64 of exactly 32 bytes (a KEK). */
function isKeyBase64(value: string): boolean {
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32;
}

/** The environment settings {@link parseFieldEncryption} reads. */
interface FieldEncryptionEnv {
  CRADLE_KEK?: string | undefined;
  CRADLE_KEK_FILE?: string | undefined;
  CRADLE_KEK_PREVIOUS: string;
  CRADLE_KMS: 'local' | 'vault-transit';
  CRADLE_VAULT_ADDR?: string | undefined;
  CRADLE_VAULT_TOKEN?: string | undefined;
  CRADLE_VAULT_TOKEN_FILE?: string | undefined;
  CRADLE_VAULT_TRANSIT_MOUNT: string;
  CRADLE_VAULT_TRANSIT_KEY?: string | undefined;
  CRADLE_VAULT_NAMESPACE?: string | undefined;
  CRADLE_KMS_TIMEOUT_MS: number;
  CRADLE_PRODUCTION?: boolean | undefined;
  NODE_ENV?: string | undefined;
  CRADLE_IN_MEMORY_DB: boolean;
  CRADLE_DATA_DIR: string;
}

const VAULT_SETTINGS = ['CRADLE_VAULT_ADDR', 'CRADLE_VAULT_TOKEN', 'CRADLE_VAULT_TOKEN_FILE', 'CRADLE_VAULT_TRANSIT_KEY', 'CRADLE_VAULT_NAMESPACE'] as const;

/**
 * The Vault/OpenBao transit settings (`CRADLE_KMS=vault-transit`), each problem reported. Plain
 * `http://` is accepted only for a loopback address in production (a local Vault Agent).
 */
function parseVaultTransit(e: FieldEncryptionEnv, production: boolean, problems: string[]): VaultTransitKmsConfig | undefined {
  let address: URL | null = null;
  if (e.CRADLE_VAULT_ADDR === undefined) {
    problems.push('CRADLE_VAULT_ADDR: required with CRADLE_KMS=vault-transit (the Vault or OpenBao URL, e.g. https://vault.internal:8200)');
  } else {
    try {
      address = new URL(e.CRADLE_VAULT_ADDR);
    } catch {
      address = null;
    }
    if (!address || !/^https?:$/.test(address.protocol) || address.username || address.password || address.search || address.hash) {
      problems.push('CRADLE_VAULT_ADDR: must be an http(s):// URL without credentials, query or fragment, e.g. https://vault.internal:8200');
      address = null;
    } else if (production && address.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(address.hostname)) {
      problems.push('CRADLE_VAULT_ADDR: must use https:// in production (plain http:// only to a loopback Vault Agent)');
      address = null;
    }
  }
  if (e.CRADLE_VAULT_TOKEN !== undefined && e.CRADLE_VAULT_TOKEN_FILE !== undefined) {
    problems.push('CRADLE_VAULT_TOKEN_FILE: set either CRADLE_VAULT_TOKEN or CRADLE_VAULT_TOKEN_FILE, not both');
  } else if (e.CRADLE_VAULT_TOKEN === undefined && e.CRADLE_VAULT_TOKEN_FILE === undefined) {
    problems.push('CRADLE_VAULT_TOKEN: required with CRADLE_KMS=vault-transit (or CRADLE_VAULT_TOKEN_FILE, e.g. a Vault Agent sink file)');
  } else if (e.CRADLE_VAULT_TOKEN !== undefined && /\s/.test(e.CRADLE_VAULT_TOKEN)) {
    problems.push('CRADLE_VAULT_TOKEN: must not contain whitespace');
  }
  if (e.CRADLE_VAULT_TRANSIT_KEY === undefined) {
    problems.push('CRADLE_VAULT_TRANSIT_KEY: required with CRADLE_KMS=vault-transit (a transit key created with derived=true)');
  } else if (!/^[A-Za-z0-9_.-]+$/.test(e.CRADLE_VAULT_TRANSIT_KEY)) {
    problems.push('CRADLE_VAULT_TRANSIT_KEY: must be a transit key name (letters, digits, ".", "_", "-")');
  }
  if (e.CRADLE_VAULT_NAMESPACE !== undefined && !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?$/.test(e.CRADLE_VAULT_NAMESPACE)) {
    problems.push('CRADLE_VAULT_NAMESPACE: must be a namespace path such as admin/cradle');
  }
  if (!address || e.CRADLE_VAULT_TRANSIT_KEY === undefined) return undefined;
  return Object.freeze({
    kind: 'vault-transit' as const,
    address: address.toString().replace(/\/+$/, ''),
    token: Object.freeze(e.CRADLE_VAULT_TOKEN !== undefined ? { value: e.CRADLE_VAULT_TOKEN } : { file: e.CRADLE_VAULT_TOKEN_FILE! }),
    mount: e.CRADLE_VAULT_TRANSIT_MOUNT,
    keyName: e.CRADLE_VAULT_TRANSIT_KEY,
    namespace: e.CRADLE_VAULT_NAMESPACE ?? null,
    timeoutMs: e.CRADLE_KMS_TIMEOUT_MS,
  });
}

/**
 * The KEK settings. With `CRADLE_KMS=local` (the default): `CRADLE_KEK` or `CRADLE_KEK_FILE`
 * (required in production); otherwise a key file generated under `CRADLE_DATA_DIR`, or with
 * `CRADLE_IN_MEMORY_DB` an ephemeral key. With `CRADLE_KMS=vault-transit` the current KEK is the
 * transit key, and `CRADLE_KEK` / `CRADLE_KEK_FILE`, when set, only join `CRADLE_KEK_PREVIOUS` as
 * previous KEKs (to rotate from the local key to Vault); nothing is generated.
 */
function parseFieldEncryption(e: FieldEncryptionEnv, problems: string[]): FieldEncryptionConfig {
  const production = e.CRADLE_PRODUCTION ?? e.NODE_ENV === 'production';
  const vault = e.CRADLE_KMS === 'vault-transit';
  if (e.CRADLE_KEK !== undefined && !isKeyBase64(e.CRADLE_KEK)) {
    problems.push('CRADLE_KEK: must be the base64 of 32 random bytes (generate one with `openssl rand -base64 32`)');
  }
  if (e.CRADLE_KEK !== undefined && e.CRADLE_KEK_FILE !== undefined) problems.push('CRADLE_KEK_FILE: set either CRADLE_KEK or CRADLE_KEK_FILE, not both');
  if (!vault) {
    for (const name of VAULT_SETTINGS) if (e[name] !== undefined) problems.push(`${name}: set, but CRADLE_KMS is not vault-transit (set CRADLE_KMS=vault-transit to use Vault)`);
  }
  const previous = e.CRADLE_KEK_PREVIOUS.split(',').map((k) => k.trim()).filter(Boolean);
  if (previous.some((k) => !isKeyBase64(k))) problems.push('CRADLE_KEK_PREVIOUS: must be comma-separated base64 keys of 32 bytes each');
  const configured: KekSource | null =
    e.CRADLE_KEK !== undefined
      ? { kind: 'inline', keyBase64: e.CRADLE_KEK }
      : e.CRADLE_KEK_FILE !== undefined
        ? { kind: 'file', path: e.CRADLE_KEK_FILE, createIfMissing: false }
        : null;
  if (vault) {
    const kms = parseVaultTransit(e, production, problems);
    return Object.freeze({ kek: configured, previousKeksBase64: Object.freeze(previous), ...(kms ? { kms } : {}) });
  }
  const kek: KekSource =
    configured ??
    (e.CRADLE_IN_MEMORY_DB ? { kind: 'ephemeral' } : { kind: 'file', path: join(e.CRADLE_DATA_DIR, 'kek.key'), createIfMissing: true });
  return Object.freeze({ kek, previousKeksBase64: Object.freeze(previous) });
}

/** Whether a listen address is a loopback interface (reachable only from the same host). */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The metrics listener. In production it may listen beyond loopback only with a token, and it may
 * never share the public port (the public listener serves no metrics).
 */
function parseMetrics(
  e: { PORT: number; CRADLE_METRICS_PORT: number | 'off'; CRADLE_METRICS_HOST: string; CRADLE_METRICS_TOKEN?: string | undefined; CRADLE_PRODUCTION?: boolean | undefined; NODE_ENV?: string | undefined },
  problems: string[],
): MetricsConfig {
  const port = e.CRADLE_METRICS_PORT === 'off' ? null : e.CRADLE_METRICS_PORT;
  const production = e.CRADLE_PRODUCTION ?? e.NODE_ENV === 'production';
  if (port !== null && port !== 0 && port === e.PORT) {
    problems.push('CRADLE_METRICS_PORT: must differ from PORT (metrics are served on an internal listener of their own)');
  }
  if (port !== null && production && !isLoopbackHost(e.CRADLE_METRICS_HOST) && e.CRADLE_METRICS_TOKEN === undefined) {
    problems.push('CRADLE_METRICS_TOKEN: required in production when CRADLE_METRICS_HOST is not a loopback address (generate one with `openssl rand -hex 32`)');
  }
  return Object.freeze({ port, host: e.CRADLE_METRICS_HOST, token: e.CRADLE_METRICS_TOKEN ?? null });
}

/** Whether a string is an http(s) URL without credentials (an OTLP endpoint). */
function isCollectorUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** Parses OTLP headers (`key=value,key2=value2`, values URL-encoded) as OpenTelemetry specifies them. */
function parseOtlpHeaders(name: string, list: string | undefined, problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of (list ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = entry.indexOf('=');
    const key = at > 0 ? entry.slice(0, at).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
      problems.push(`${name}: write it as key=value pairs separated by commas, e.g. authorization=Bearer%20TOKEN`);
      return {};
    }
    try {
      headers[key.toLowerCase()] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      problems.push(`${name}: the value of ${key} is not valid URL encoding`);
      return {};
    }
  }
  return headers;
}

/** OpenTelemetry tracing: off unless an OTLP endpoint is configured (and tracing is not disabled). */
function parseTracing(e: z.infer<typeof envSchema>, problems: string[]): TracingConfig | null {
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] as const) {
    const value = e[name];
    if (value !== undefined && !isCollectorUrl(value)) problems.push(`${name}: must be an http(s):// URL without credentials, e.g. http://otel-collector:4318`);
  }
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`);
  const headers = e.OTEL_EXPORTER_OTLP_TRACES_HEADERS !== undefined
    ? parseOtlpHeaders('OTEL_EXPORTER_OTLP_TRACES_HEADERS', e.OTEL_EXPORTER_OTLP_TRACES_HEADERS, problems)
    : parseOtlpHeaders('OTEL_EXPORTER_OTLP_HEADERS', e.OTEL_EXPORTER_OTLP_HEADERS, problems);
  if (endpoint === undefined || e.OTEL_SDK_DISABLED === true || e.OTEL_TRACES_EXPORTER === 'none') return null;
  return Object.freeze({ endpoint, headers: Object.freeze(headers), serviceName: e.OTEL_SERVICE_NAME });
}

/**
 * Each request must fit the messaging rate limits and quotas it is charged against, or it could
 * never pass: a whole `sendMessage`, one envelope in a mailbox, one bundle per device of a user.
 */
function checkMessagingLimits(e: z.infer<typeof envSchema>, problems: string[]): void {
  if (e.CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE < e.CRADLE_MESSAGING_MAX_SEND_BYTES) {
    problems.push(`CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: must be at least CRADLE_MESSAGING_MAX_SEND_BYTES (${e.CRADLE_MESSAGING_MAX_SEND_BYTES})`);
  }
  if (e.CRADLE_MESSAGING_MAILBOX_MAX_BYTES < e.CRADLE_MESSAGING_MAX_ENVELOPE_BYTES) {
    problems.push(`CRADLE_MESSAGING_MAILBOX_MAX_BYTES: must be at least CRADLE_MESSAGING_MAX_ENVELOPE_BYTES (${e.CRADLE_MESSAGING_MAX_ENVELOPE_BYTES})`);
  }
  if (e.CRADLE_MESSAGING_CLAIMS_PER_HOUR < e.CRADLE_MESSAGING_MAX_DEVICES) {
    problems.push(`CRADLE_MESSAGING_CLAIMS_PER_HOUR: must be at least CRADLE_MESSAGING_MAX_DEVICES (${e.CRADLE_MESSAGING_MAX_DEVICES})`);
  }
}

/**
 * Reads and validates configuration from an environment map (normally `process.env`).
 * Reports every invalid setting at once, each naming the variable and what to do.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Readonly<Config> {
  const defined = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  const secrets = resolveSecretFiles(defined);
  const parsed = envSchema.safeParse(secrets.env);
  if (!parsed.success) {
    const invalid = new Set(parsed.error.issues.map((i) => String(i.path[0])));
    throw new ConfigError([
      ...secrets.problems,
      ...parsed.error.issues.map((i) => `${i.path.join('.')}${secrets.fromFile.has(String(i.path[0])) ? ` (from ${String(i.path[0])}_FILE)` : ''}: ${i.message}`),
      ...productionSecretProblems(secrets.env).filter((p) => !invalid.has(p.slice(0, p.indexOf(':')))),
    ]);
  }
  const e = parsed.data;
  const problems: string[] = [...secrets.problems, ...productionSecretProblems(secrets.env)];
  const developmentDefaults = !secretsRequired(secrets.env);
  const usingRealDatabase = e.DATABASE_URL !== undefined;
  if (usingRealDatabase && developmentDefaults && e.CRADLE_TOKEN_SECRET === undefined) {
    problems.push('CRADLE_TOKEN_SECRET: required when DATABASE_URL is set (generate one with `openssl rand -hex 32`)');
  }
  const allowedOrigins = parseAllowedOrigins(e.CRADLE_ALLOWED_ORIGINS, problems);
  const fieldEncryption = parseFieldEncryption(e, problems);
  checkMessagingLimits(e, problems);
  const metrics = parseMetrics(e, problems);
  const tracing = parseTracing(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const database: DatabaseConfig = usingRealDatabase
    ? {
        kind: 'postgres',
        url: e.DATABASE_URL!,
        timeouts: Object.freeze({ connectMs: e.CRADLE_DB_CONNECT_TIMEOUT_MS, statementMs: e.CRADLE_DB_STATEMENT_TIMEOUT_MS }),
      }
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
    demoSeed: e.CRADLE_DEMO_SEED ?? (!usingRealDatabase && developmentDefaults),
    logLevel: e.LOG_LEVEL,
    relayPollMs: e.CRADLE_RELAY_POLL_MS,
    shutdownGraceMs: e.CRADLE_SHUTDOWN_GRACE_MS,
    emergencyAccessMinutes: e.CRADLE_EMERGENCY_ACCESS_MINUTES,
    researchMinGroupSize: e.CRADLE_RESEARCH_MIN_GROUP_SIZE,
    clinicalRetentionYears: e.CRADLE_CLINICAL_RETENTION_YEARS,
    selfCorrectionMinutes: e.CRADLE_SELF_CORRECTION_MINUTES,
    maxBodyBytes: e.CRADLE_MAX_BODY_BYTES,
    trustedProxyHops: e.CRADLE_TRUSTED_PROXY_HOPS,
    liveBufferEvents: e.CRADLE_LIVE_BUFFER_EVENTS,
    liveMaxLagMs: e.CRADLE_LIVE_MAX_LAG_MS,
    wsKeepAliveMs: e.CRADLE_WS_KEEPALIVE_MS,
    production: e.CRADLE_PRODUCTION ?? e.NODE_ENV === 'production',
    allowedOrigins: Object.freeze(allowedOrigins),
    explorer: e.CRADLE_EXPLORER ?? !(e.CRADLE_PRODUCTION === true || e.NODE_ENV === 'production'),
    auditCheckpoint: Object.freeze({
      // The embedded default keeps its checkpoints beside its data; elsewhere they must be configured.
      file: e.CRADLE_AUDIT_CHECKPOINT_FILE ?? (database.kind === 'pglite' && database.dataDir !== null ? join(database.dataDir, 'audit-checkpoints.jsonl') : null),
      key: e.CRADLE_AUDIT_CHECKPOINT_KEY ?? DEMO_AUDIT_CHECKPOINT_KEY,
      intervalMs: e.CRADLE_AUDIT_CHECKPOINT_INTERVAL_MS,
      hook: e.CRADLE_AUDIT_CHECKPOINT_HOOK ?? null,
      hookTimeoutMs: e.CRADLE_AUDIT_CHECKPOINT_HOOK_TIMEOUT_MS,
    }),
    alertingPollMs: e.CRADLE_ALERTING_POLL_MS,
    alertingPageEvents: e.CRADLE_ALERTING_PAGE_EVENTS,
    fieldEncryption,
    operationLimits: Object.freeze({
      maxDepth: e.CRADLE_MAX_QUERY_DEPTH,
      maxAliases: e.CRADLE_MAX_ALIASES,
      maxCost: e.CRADLE_MAX_QUERY_COST,
      maxDirectives: e.CRADLE_MAX_DIRECTIVES,
    }),
    wsLimits: Object.freeze({
      maxSubscriptions: e.CRADLE_WS_MAX_SUBSCRIPTIONS,
      maxInFlightOperations: e.CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS,
    }),
    metrics,
    tracing,
    messaging: Object.freeze({
      maxDevicesPerUser: e.CRADLE_MESSAGING_MAX_DEVICES,
      maxPreKeysPerUpload: e.CRADLE_MESSAGING_MAX_PREKEYS_PER_UPLOAD,
      lowPreKeyThreshold: e.CRADLE_MESSAGING_LOW_PREKEYS,
      maxEnvelopeBytes: e.CRADLE_MESSAGING_MAX_ENVELOPE_BYTES,
      maxSendBytes: e.CRADLE_MESSAGING_MAX_SEND_BYTES,
      retentionMs: e.CRADLE_MESSAGING_RETENTION_DAYS * 86_400_000,
      purgeIntervalMs: e.CRADLE_MESSAGING_PURGE_INTERVAL_MS,
      claimsPerDevicePerHour: e.CRADLE_MESSAGING_CLAIMS_PER_DEVICE_PER_HOUR,
      claimsPerHour: e.CRADLE_MESSAGING_CLAIMS_PER_HOUR,
      sendEnvelopesPerMinute: e.CRADLE_MESSAGING_SEND_ENVELOPES_PER_MINUTE,
      sendBytesPerMinute: e.CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE,
      mailboxMaxEnvelopes: e.CRADLE_MESSAGING_MAILBOX_MAX_ENVELOPES,
      mailboxMaxBytes: e.CRADLE_MESSAGING_MAILBOX_MAX_BYTES,
    }),
  });
}
