import './require-node.js';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AUDIT_COMMANDS_USAGE } from './audit/audit-commands-usage.js';
import { ConfigError, loadConfig } from './config.js';
import { KEY_COMMANDS_USAGE } from './crypto/key-commands-usage.js';
import { DATA_DIR_IN_USE_EXIT_CODE, DataDirInUseError } from './db/data-dir-lock.js';
import { RETENTION_COMMANDS_USAGE } from './status/clinical-retention.js';

const USAGE = `Usage: npm run cradle -- <command> [options]

Commands:
  tenant:create --name <name> --admin-email <email> --admin-password <password>
      Creates a tenant and its first ADMIN; prints {"tenantId","adminUserId"} as JSON.
  migrate
      Applies pending database migrations.
${KEY_COMMANDS_USAGE}
${AUDIT_COMMANDS_USAGE}
${RETENTION_COMMANDS_USAGE}

Uses DATABASE_URL when set, else the embedded database under CRADLE_DATA_DIR (./.cradle). The
embedded database has one owner: beside a running server, tenant:create goes to that server and
every other command is refused (exit ${DATA_DIR_IN_USE_EXIT_CODE}) until it stops.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const COMMANDS = new Set(['tenant:create', 'migrate', 'keys:rotate-kek', 'keys:reencrypt', 'audit:verify', 'audit:checkpoint', 'retention:purge']);

/** The `cradle` command line (see shared/API.md: Bootstrap). */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // Help and unknown commands need no configuration: `--help` works before any secret is set.
  if (command === undefined || !COMMANDS.has(command)) fail(USAGE, command === undefined || command === 'help' || command === '--help' ? 0 : 2);
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 78);
    throw err;
  }
  switch (command) {
    case 'tenant:create': {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, 'admin-email': { type: 'string' }, 'admin-password': { type: 'string' } },
        strict: true,
      });
      const name = values.name?.trim();
      const email = values['admin-email'];
      const password = values['admin-password'];
      if (!name || !email || !password) fail(`tenant:create needs --name, --admin-email and --admin-password.\n\n${USAGE}`);
      const [{ AppError }, { OperatorCommandError, runTenantCreate }] = await Promise.all([import('./errors.js'), import('./operator/tenant-create-command.js')]);
      try {
        const result = await runTenantCreate({ name, adminEmail: email, adminPassword: password }, config);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } catch (err) {
        if (err instanceof AppError || (err instanceof OperatorCommandError && err.code !== 'INTERNAL_SERVER_ERROR')) fail(err.message);
        throw err;
      }
      return;
    }
    case 'migrate': {
      const { openDatabase } = await import('./db/orm.js');
      const db = await openDatabase(config.database, { migrate: false, owner: 'cradle migrate' });
      try {
        const applied = await db.orm.migrator.up();
        process.stdout.write(`${JSON.stringify({ applied: applied.map((m) => m.name) })}\n`);
      } finally {
        await db.close();
      }
      return;
    }
    case 'keys:rotate-kek':
    case 'keys:reencrypt': {
      const { runKeyCommand } = await import('./crypto/key-commands.js');
      process.stdout.write(`${JSON.stringify(await runKeyCommand(command, rest, config))}\n`);
      return;
    }
    case 'audit:verify': {
      const { runAuditVerify } = await import('./audit/audit-verify-command.js');
      const report = await runAuditVerify(rest, config);
      process.stdout.write(`${JSON.stringify(report)}\n`);
      if (!report.valid) process.exit(1);
      return;
    }
    case 'audit:checkpoint': {
      const { runAuditCheckpoint } = await import('./audit/audit-verify-command.js');
      const result = await runAuditCheckpoint(rest, config);
      process.stdout.write(result.out === '-' ? result.text : `${JSON.stringify({ written: result.count, out: result.out })}\n`);
      return;
    }
    case 'retention:purge': {
      const { runRetentionPurge } = await import('./status/retention-command.js');
      process.stdout.write(`${JSON.stringify(await runRetentionPurge(rest, config))}\n`);
      return;
    }
    default:
      fail(USAGE, 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof DataDirInUseError) fail(err.message, DATA_DIR_IN_USE_EXIT_CODE);
  fail(`cradle: ${err instanceof Error ? `${err.name}: ${err.message}` : 'failed'}`, 1);
});
