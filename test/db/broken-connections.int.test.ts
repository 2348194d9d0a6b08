import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { backend } from '../helpers/test-server.js';

const POOL_MAX = 10;

/**
 * Regression (fault suite, PostgreSQL restarted under load): a transaction whose connection the
 * server ended could neither commit nor roll back, so Kysely never released the connection; after
 * as many such transactions as the pool holds, every query waited for a connection for ever.
 * PostgreSQL only (the embedded database has one connection and no server to lose).
 */
describe.skipIf(!backend.databaseUrl)('a PostgreSQL connection that breaks inside a transaction', () => {
  let admin: pg.Client;
  let database: Database;
  let dbName: string;

  beforeAll(async () => {
    dbName = `cradle_test_broken_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    admin = new pg.Client({ connectionString: backend.databaseUrl! });
    await admin.connect();
    await admin.query(`create database "${dbName}"`);
    const url = new URL(backend.databaseUrl!);
    url.pathname = `/${dbName}`;
    database = await openDatabase({ kind: 'postgres', url: url.toString(), timeouts: { connectMs: 2000, statementMs: 10_000 } });
  });
  afterAll(async () => {
    await database?.close();
    await admin?.query(`drop database if exists "${dbName}" with (force)`);
    await admin?.end();
  });

  it('is taken out of the pool, so the pool keeps serving after more such breaks than it has connections', async () => {
    for (let i = 0; i < POOL_MAX + 2; i++) {
      const attempt = database.orm.em.fork().transactional(async (tx) => {
        const [backend] = await tx.execute<Array<{ pid: number }>>('select pg_backend_pid() as pid');
        await admin.query('select pg_terminate_backend($1)', [backend!.pid]);
        await new Promise((r) => setTimeout(r, 50));
        await tx.execute('select 1');
      });
      await expect(attempt).rejects.toThrow();
    }
    const started = Date.now();
    const [row] = await database.orm.em.fork().execute<Array<{ one: number }>>('select 1 as one');
    expect(row).toEqual({ one: 1 });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails a query promptly, as the database being unavailable, when no connection can be made', async () => {
    const unreachable = await openDatabase(
      { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', timeouts: { connectMs: 500, statementMs: 0 } },
      { migrate: false },
    );
    try {
      const started = Date.now();
      await expect(unreachable.orm.em.fork().execute('select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await unreachable.close();
    }
  });
});
