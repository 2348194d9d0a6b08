import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver, type Options } from '@mikro-orm/postgresql';
import type { DatabaseConfig } from '../config.js';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { PG_COMPATIBLE_PARSERS, PGliteDialect } from './pglite-dialect.js';

/** Cradle's database handle: the ORM plus what it takes to close it. */
export interface Database {
  readonly orm: MikroORM;
  /** Which backend is in use, for readiness reports and tests. */
  readonly kind: DatabaseConfig['kind'];
  /** Whether the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Arbitrary constant naming the advisory lock that serialises migrations across starting instances. */
const MIGRATION_LOCK_KEY = 0x43_52_44_4d; // "CRDM"

/**
 * Runs migrations while holding a session advisory lock on a dedicated connection, so replicas
 * starting together migrate one after the other (the second finds nothing pending).
 */
async function withMigrationLock(url: string, migrate: () => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migrate();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

/** Options shared by every backend. Migrations are imported classes, so they work from `src` and `dist` alike. */
function baseOptions(): Options {
  return {
    driver: PostgreSqlDriver,
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    allowGlobalContext: false,
    debug: false,
    discovery: { warnWhenNoEntities: true },
  };
}

/**
 * Opens the database named by the configuration and applies pending migrations.
 * For the embedded default, PGlite keeps its files under `<dataDir>/pgdata` (or in memory when `dataDir` is null).
 */
export async function openDatabase(config: DatabaseConfig, options: { migrate?: boolean } = {}): Promise<Database> {
  let pglite: PGlite | null = null;
  let orm: MikroORM;
  if (config.kind === 'pglite') {
    let dataDir: string | undefined;
    if (config.dataDir !== null) {
      dataDir = join(resolve(config.dataDir), 'pgdata');
      mkdirSync(dataDir, { recursive: true });
    }
    pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), parsers: PG_COMPATIBLE_PARSERS });
    orm = await MikroORM.init({
      ...baseOptions(),
      dbName: 'postgres',
      // MikroORM would otherwise try to create the database and, failing, close PGlite on start.
      ensureDatabase: false,
      driverOptions: new PGliteDialect(pglite),
    });
  } else {
    orm = await MikroORM.init({ ...baseOptions(), clientUrl: config.url, pool: { min: 0, max: 10 } });
  }
  if (options.migrate ?? true) {
    if (config.kind === 'postgres') await withMigrationLock(config.url, () => orm.migrator.up());
    else await orm.migrator.up();
  }
  const db = pglite;
  return {
    orm,
    kind: config.kind,
    async ping() {
      return (await orm.checkConnection()).ok;
    },
    async close() {
      await orm.close(true);
      if (db && !db.closed) await db.close();
    },
  };
}
