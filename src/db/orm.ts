import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { DEFAULT_DATABASE_TIMEOUTS, type DatabaseConfig, type DatabaseTimeouts, type FieldEncryptionConfig } from '../config.js';
import { encryptingDriver } from '../crypto/encrypting-driver.js';
import { FieldKeyRing, type RawExecutor } from '../crypto/field-key-ring.js';
import { encryptQueuedColumns } from '../crypto/key-rotation.js';
import { keyEncryptionKeysFromConfig } from '../crypto/kek-source.js';
import { releaseBrokenConnections } from './broken-connections.js';
import { acquireDataDirLock, type DataDirLock, type DataDirOwner } from './data-dir-lock.js';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { PG_COMPATIBLE_PARSERS, PGliteDialect } from './pglite-dialect.js';

/** Cradle's database handle: the ORM plus what it takes to close it. */
export interface Database {
  readonly orm: MikroORM;
  /** Which backend is in use, for readiness reports and tests. */
  readonly kind: DatabaseConfig['kind'];
  /**
   * The keys of field-level encryption at rest (`src/crypto`): data keys per tenant and the
   * blind-index key. Started (loaded) once migrations have run.
   */
  readonly fieldKeys: FieldKeyRing;
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

/**
 * Applies pending migrations in one transaction without the statement timeout of the pool's
 * connections: a migration may rewrite a large table.
 */
async function migrateWithoutStatementTimeout(orm: MikroORM): Promise<void> {
  await orm.em.fork().transactional(async (tx) => {
    await tx.execute('set local statement_timeout = 0');
    await orm.migrator.up({ transaction: tx.getTransactionContext() });
  });
}

/** Runs `?`-placeholder SQL (MikroORM's style, as the key ring writes it) on a node-postgres pool. */
function poolExecutor(pool: pg.Pool): RawExecutor {
  return async (sql, params) => {
    let n = 0;
    const result = await pool.query(sql.replace(/\?/g, () => `$${++n}`), params as unknown[]);
    return result.rows as Array<Record<string, unknown>>;
  };
}

/**
 * Options of every `pg` connection to PostgreSQL (the ORM's pool and the key-maintenance pool):
 * the connect timeout bounds both opening a connection and waiting for a pooled one, TCP
 * keep-alive notices a server that vanished without closing the connection, and the statement
 * timeout bounds any one statement.
 */
function connectionOptions(timeouts: DatabaseTimeouts): pg.PoolConfig {
  return {
    connectionTimeoutMillis: timeouts.connectMs,
    keepAlive: true,
    ...(timeouts.statementMs > 0 ? { statement_timeout: timeouts.statementMs } : {}),
  };
}

/** Options shared by every backend. Migrations are imported classes, so they work from `src` and `dist` alike. */
function baseOptions(fieldKeys: FieldKeyRing): Options {
  return {
    driver: encryptingDriver(fieldKeys),
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    allowGlobalContext: false,
    debug: false,
    discovery: { warnWhenNoEntities: true },
  };
}

/**
 * The key-encryption key source when the caller names none: the embedded database's key file
 * (created on first start), else a key that lives as long as the process.
 */
function defaultFieldEncryption(config: DatabaseConfig): FieldEncryptionConfig {
  return config.kind === 'pglite' && config.dataDir !== null
    ? { kek: { kind: 'file', path: join(resolve(config.dataDir), 'kek.key'), createIfMissing: true }, previousKeksBase64: [] }
    : { kek: { kind: 'ephemeral' }, previousKeksBase64: [] };
}

/**
 * Opens the database named by the configuration and applies pending migrations, then loads the
 * keys of field encryption (`fieldEncryption`: the configured KEKs; see {@link defaultFieldEncryption}).
 * With `requireReadableKeys`, a KEK that cannot unwrap the stored keys closes the database and
 * throws `WrongKeyEncryptionKeyError` (the server refuses to start rather than serve unreadable data).
 * For the embedded default, PGlite keeps its files under `<dataDir>/pgdata` (or in memory when `dataDir` is null).
 * An on-disk embedded database has one owner: its owner lock (`data-dir-lock.ts`) is taken before
 * anything is written, so a second process is refused with `DataDirInUseError`, and is released on close.
 */
export async function openDatabase(config: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  const lock =
    config.kind === 'pglite' && config.dataDir !== null
      ? await acquireDataDirLock(config.dataDir, options.owner ?? 'cradle', { onTakeover: options.onStaleLock ?? reportTakeover })
      : null;
  try {
    return await openLocked(config, options, lock);
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Apply pending migrations (and load the keys); default true. */
  readonly migrate?: boolean;
  readonly fieldEncryption?: FieldEncryptionConfig;
  readonly requireReadableKeys?: boolean;
  /** Who opens an on-disk embedded database, recorded in its owner lock: `server` or `cradle <command>`. */
  readonly owner?: string;
  /** Told when the owner lock of a process that no longer runs was taken over (default: a line on standard error). */
  readonly onStaleLock?: (stale: DataDirOwner) => void;
}

function reportTakeover(stale: DataDirOwner): void {
  process.stderr.write(`cradle: took over the embedded database from ${stale.command} (pid ${stale.pid}, started ${stale.startedAt}), which no longer runs\n`);
}

async function openLocked(config: DatabaseConfig, options: OpenDatabaseOptions, lock: DataDirLock | null): Promise<Database> {
  const fieldKeys = new FieldKeyRing(keyEncryptionKeysFromConfig(options.fieldEncryption ?? defaultFieldEncryption(config)), {
    singleConnection: config.kind === 'pglite',
  });
  let pglite: PGlite | null = null;
  let keyPool: pg.Pool | null = null;
  let orm: MikroORM;
  if (config.kind === 'pglite') {
    let dataDir: string | undefined;
    if (config.dataDir !== null) {
      dataDir = join(resolve(config.dataDir), 'pgdata');
      mkdirSync(dataDir, { recursive: true });
    }
    pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), parsers: PG_COMPATIBLE_PARSERS });
    orm = await MikroORM.init({
      ...baseOptions(fieldKeys),
      dbName: 'postgres',
      // MikroORM would otherwise try to create the database and, failing, close PGlite on start.
      ensureDatabase: false,
      driverOptions: new PGliteDialect(pglite),
    });
  } else {
    const timeouts = config.timeouts ?? DEFAULT_DATABASE_TIMEOUTS;
    orm = await MikroORM.init({
      ...baseOptions(fieldKeys),
      clientUrl: config.url,
      pool: { min: 0, max: 10 },
      driverOptions: { ...connectionOptions(timeouts), onPoolCreated: releaseBrokenConnections },
    });
    // Key reservations run beside request transactions; a connection of their own means a full
    // pool of transactions waiting for a reservation can never starve it.
    keyPool = new pg.Pool({ connectionString: config.url, max: 1, ...connectionOptions(timeouts) });
    // An idle connection the server drops (restart, database dropped) is replaced on the next query.
    keyPool.on('error', () => undefined);
    fieldKeys.attachMaintenance(poolExecutor(keyPool));
  }
  if (options.migrate ?? true) {
    if (config.kind === 'postgres') await withMigrationLock(config.url, () => migrateWithoutStatementTimeout(orm));
    else await orm.migrator.up();
    await fieldKeys.start();
    if (options.requireReadableKeys) {
      try {
        fieldKeys.assertUsable();
      } catch (err) {
        await orm.close(true);
        await keyPool?.end();
        if (pglite && !pglite.closed) await pglite.close();
        throw err;
      }
    }
    // Columns a migration newly encrypted: seal their existing rows now that the keys are loaded.
    if (fieldKeys.usable) await encryptQueuedColumns(fieldKeys);
  }
  const db = pglite;
  return {
    orm,
    kind: config.kind,
    fieldKeys,
    async ping() {
      return (await orm.checkConnection()).ok;
    },
    async close() {
      try {
        await fieldKeys.close();
        await orm.close(true);
        await keyPool?.end();
        if (db && !db.closed) await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
