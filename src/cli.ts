import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AUDIT_COMMANDS_USAGE } from './audit/audit-commands-usage.js';
import { ConfigError, loadConfig } from './config.js';
import { KEY_COMMANDS_USAGE } from './crypto/key-commands-usage.js';
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

Uses DATABASE_URL when set, else the embedded database under CRADLE_DATA_DIR (./.cradle).`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/**
 * The `cradle` command line (see shared/API.md: Bootstrap). Each command's implementation is
 * imported when it runs, so printing the usage never loads the ORM, PGlite or GraphQL.
 */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
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
      const [{ createUser }, { Tenant }, { openDatabase }, { AppError }] = await Promise.all([
        import('./auth/user.service.js'),
        import('./db/entities/index.js'),
        import('./db/orm.js'),
        import('./errors.js'),
      ]);
      const db = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true });
      try {
        const result = await db.orm.em.fork().transactional(async (em) => {
          const tenant = em.create(Tenant, { id: crypto.randomUUID(), name, eventSeq: 0 });
          await em.flush();
          const admin = await createUser(em, { tenantId: tenant.id, email, password, role: 'ADMIN', displayName: `${name} administrator` }, 'admin');
          return { tenantId: tenant.id, adminUserId: admin.id };
        });
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } catch (err) {
        if (err instanceof AppError) fail(err.message);
        throw err;
      } finally {
        await db.close();
      }
      return;
    }
    case 'migrate': {
      const { openDatabase } = await import('./db/orm.js');
      const db = await openDatabase(config.database, { migrate: false });
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
      fail(USAGE, command === undefined || command === 'help' || command === '--help' ? 0 : 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(`cradle: ${err instanceof Error ? `${err.name}: ${err.message}` : 'failed'}`, 1);
});
