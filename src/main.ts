import './require-node.js';
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';
import { DATA_DIR_IN_USE_EXIT_CODE, DataDirInUseError } from './db/data-dir-lock.js';
import { createServer } from './server.js';

/**
 * `npm start`: reads the configuration, starts the server, prints where it listens (and the demo
 * logins when it seeded them), and shuts down gracefully on SIGTERM or SIGINT.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const server = await createServer(config);
  const lines = [
    '',
    `Cradle is listening: ${server.url} (subscriptions: ${server.wsUrl})`,
    `Web app: ${server.appUrl ?? 'not built (run npm run build, which npm start does)'}`,
    `Database: ${server.database.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'}; bus: ${server.services.bus.kind}`,
    `Metrics (internal listener): ${server.metricsUrl ?? 'off'}`,
  ];
  if (server.demoLogins) {
    lines.push('Demo logins (synthetic data only):');
    for (const login of server.demoLogins) lines.push(`  ${login.role.padEnd(26)} ${login.email}  /  ${login.password}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.services.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof DataDirInUseError) {
    process.stderr.write(`Cradle failed to start: ${err.message}\n`);
    process.exit(DATA_DIR_IN_USE_EXIT_CODE);
  }
  process.stderr.write(`Cradle failed to start: ${err instanceof Error ? err.name : 'error'}: ${err instanceof Error ? err.message : ''}\n`);
  process.exit(1);
});
