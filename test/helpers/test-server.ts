import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createServer, type RunningServer, type ServerOverrides } from '../../src/server.js';

/** Which backends the suite runs on: the embedded default, or the real services named by the environment. */
export const backend = {
  databaseUrl: process.env['DATABASE_URL'] || null,
  redisUrl: process.env['REDIS_URL'] || null,
} as const;

/** A test server plus what it captured. */
export interface TestServer {
  readonly url: string;
  readonly wsUrl: string;
  /** The internal metrics listener's `/metrics` URL; null when the test turned metrics off. */
  readonly metricsUrl: string | null;
  readonly server: RunningServer;
  /** Every log line the server wrote, as raw JSON text. */
  readonly logs: string[];
  /** The environment the server was configured from. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** Options for {@link startTestServer}. */
export interface TestServerOptions extends Omit<ServerOverrides, 'logDestination'> {
  /** Extra environment settings (strings, as in `process.env`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Another test server whose database and bus this one shares, as a second instance of the same
   * deployment: the same PostgreSQL database and Redis prefix, or in the embedded default the same
   * PGlite and in-process bus (unless `env` names a Redis of its own).
   */
  readonly shareWith?: TestServer;
}

function randomName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a fresh PostgreSQL database on the server of `url`; returns its URL and a dropper. */
async function createTestDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = randomName('cradle_test');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    url: dbUrl.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

/**
 * Starts a real Cradle server on an ephemeral port with its own database (a fresh PGlite, or a new
 * PostgreSQL database when DATABASE_URL is set) and its own Redis key prefix (when REDIS_URL is set).
 * `close()` stops it and removes the database.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (process.env['CRADLE_TEST_LOGS']) process.stderr.write(chunk);
      callback();
    },
  });
  const { env: extraEnv, shareWith, ...overrides } = options;
  let env: Record<string, string>;
  let database: { url: string; drop: () => Promise<void> } | null = null;
  if (shareWith) {
    env = { ...shareWith.env, PORT: '0', ...extraEnv };
  } else {
    database = backend.databaseUrl ? await createTestDatabase(backend.databaseUrl) : null;
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      CRADLE_IN_MEMORY_DB: 'true',
      CRADLE_DEMO_SEED: 'false',
      CRADLE_TOKEN_SECRET: `test-secret-${crypto.randomUUID()}`,
      CRADLE_AUDIT_CHECKPOINT_KEY: `test-checkpoint-key-${crypto.randomUUID()}`,
      // One key-encryption key per deployment, so instances started with `shareWith` read each other's data keys.
      CRADLE_KEK: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
      CRADLE_RELAY_POLL_MS: '200',
      CRADLE_SHUTDOWN_GRACE_MS: '2000',
      // Each server its own metrics listener on a free loopback port (the default port is fixed).
      CRADLE_METRICS_PORT: '0',
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...(backend.redisUrl ? { REDIS_URL: backend.redisUrl, REDIS_KEY_PREFIX: `${randomName('test')}:` } : {}),
      ...extraEnv,
    };
  }
  const shared = shareWith && !env['DATABASE_URL'] ? { database: shareWith.server.database } : {};
  const sharedBus = shareWith && !env['REDIS_URL'] ? { bus: shareWith.server.services.bus } : {};
  const server = await createServer(loadConfig(env), { ...overrides, ...shared, ...sharedBus, logDestination: destination });
  return {
    url: server.url,
    wsUrl: server.wsUrl,
    metricsUrl: server.metricsUrl,
    server,
    logs,
    env,
    close: async () => {
      await server.close();
      await database?.drop();
    },
  };
}

/** A test server whose clock the test moves: `clock.now` is the server's time in milliseconds. */
export async function startTestServerWithClock(
  start: number = Date.now(),
  options: Omit<TestServerOptions, 'now'> = {},
): Promise<{ ts: TestServer; clock: { now: number } }> {
  const clock = { now: start };
  const ts = await startTestServer({ ...options, now: () => clock.now });
  return { ts, clock };
}

/** Scrapes a test server's internal metrics listener and returns the Prometheus text. */
export async function scrapeMetrics(ts: TestServer): Promise<string> {
  if (!ts.metricsUrl) throw new Error('this test server serves no metrics');
  const res = await fetch(ts.metricsUrl);
  if (res.status !== 200) throw new Error(`the metrics listener answered ${res.status}`);
  return res.text();
}

/** Runs raw SQL on a test server's database (to inspect what is stored, bypassing the API). */
export function rawSql(ts: TestServer, query: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  return ts.server.database.orm.em.fork().execute(query, params);
}
