import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Tenant } from '../../src/db/entities/index.js';
import { openDatabase } from '../../src/db/orm.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { backend } from '../helpers/test-server.js';

describe('migrations', () => {
  if (backend.databaseUrl) {
    const adminUrl = backend.databaseUrl;
    it('lets two instances starting together migrate one after the other', async () => {
      const name = `cradle_migr_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`create database "${name}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      try {
        const [a, b] = await Promise.all([
          openDatabase({ kind: 'postgres', url: url.toString() }),
          openDatabase({ kind: 'postgres', url: url.toString() }),
        ]);
        const rows = await a.orm.em.fork().execute<{ name: string }[]>('select name from mikro_orm_migrations order by id');
        expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
        await Promise.all([a.close(), b.close()]);
      } finally {
        await admin.query(`drop database if exists "${name}" with (force)`);
        await admin.end();
      }
    });
  } else {
    it('keeps the embedded database across a restart and does not migrate twice', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cradle-migr-'));
      try {
        const first = await openDatabase({ kind: 'pglite', dataDir: dir });
        const em = first.orm.em.fork();
        const tenant = em.create(Tenant, { id: crypto.randomUUID(), name: 'Kept', eventSeq: 0 });
        await em.flush();
        await first.close();
        const second = await openDatabase({ kind: 'pglite', dataDir: dir });
        expect((await second.orm.em.fork().findOne(Tenant, { id: tenant.id }))?.name).toBe('Kept');
        expect(await second.orm.migrator.getPending()).toEqual([]);
        await second.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
