/**
 * A Cradle server in the bench's own process, for the companion measurements that drive it with the
 * test helpers (builders, GraphQL clients): embedded PGlite, or a scratch database on the
 * PostgreSQL server named by BENCH_DATABASE_URL, dropped on close.
 */
import 'reflect-metadata';
import { loadConfig } from '../../src/config.js';
import { createServer, type RunningServer } from '../../src/server.js';
import type { TestServer } from '../../test/helpers/test-server.js';
import { scratchDatabase } from './scratch-database.js';

/** A started in-process server, as the test helpers expect it. */
export interface InProcessServer {
  readonly server: RunningServer;
  readonly ts: TestServer;
  /** Whether it runs on PostgreSQL (a scratch database) rather than PGlite. */
  readonly onPostgres: boolean;
  /** Closes the server, then drops the scratch database. */
  close(): Promise<void>;
}

/**
 * Starts one instance on a free loopback port, without the demo seed, logging nothing, with a
 * token secret of its own and `env` on top; `databasePrefix` names its scratch database.
 */
export async function startInProcessServer(databasePrefix: string, env: Readonly<Record<string, string>> = {}): Promise<InProcessServer> {
  const db = await scratchDatabase(process.env['BENCH_DATABASE_URL'] || null, databasePrefix);
  const fullEnv: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    CRADLE_METRICS_PORT: '0',
    CRADLE_DEMO_SEED: 'false',
    LOG_LEVEL: 'silent',
    CRADLE_TOKEN_SECRET: `bench-secret-${crypto.randomUUID()}`,
    ...(db.url ? { DATABASE_URL: db.url } : { CRADLE_IN_MEMORY_DB: 'true' }),
    ...env,
  };
  let server: RunningServer;
  try {
    server = await createServer(loadConfig(fullEnv));
  } catch (err) {
    await db.drop();
    throw err;
  }
  const ts = { url: server.url, wsUrl: server.wsUrl, metricsUrl: server.metricsUrl, server, logs: [], env: fullEnv, close: () => server.close() } satisfies TestServer;
  return {
    server,
    ts,
    onPostgres: db.url !== null,
    async close() {
      await server.close();
      await db.drop();
    },
  };
}
