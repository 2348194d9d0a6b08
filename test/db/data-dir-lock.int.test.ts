import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirInUseError, OWNER_LOCK_FILE, type DataDirOwner } from '../../src/db/data-dir-lock.js';
import { openDatabase } from '../../src/db/orm.js';
import { backend } from '../helpers/test-server.js';

/** The pid of a process that has exited (a child, waited for). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

function writeLock(dir: string, owner: Partial<DataDirOwner>): string {
  const raw = `${JSON.stringify({ pid: process.pid, command: 'server', host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'x', ...owner })}\n`;
  writeFileSync(join(dir, OWNER_LOCK_FILE), raw);
  return raw;
}

describe('the owner lock of an embedded data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'cradle-lock-'));
  let n = 0;
  const freshDir = () => join(root, `d${n++}`);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('records its owner, refuses a second owner naming the first, and is taken again once released', async () => {
    const dir = freshDir();
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000);
    const first = await acquireDataDirLock(dir, 'server', { now: () => at.getTime() });
    expect(JSON.parse(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8'))).toEqual({
      pid: process.pid,
      command: 'server',
      host: hostname(),
      startedAt: at.toISOString(),
      token: expect.any(String),
    });
    const refused = await acquireDataDirLock(dir, 'cradle migrate').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).ownerIsLocalServer).toBe(true);
    expect((refused as Error).message).toBe(
      `The embedded database in ${dir} is in use by the Cradle server (pid ${process.pid}, started ${at.toISOString()}). ` +
        'Stop it first (Ctrl-C, or SIGTERM to that pid), then run this command again; use DATABASE_URL (PostgreSQL) to run commands beside a running server.',
    );
    first.release();
    expect(existsSync(join(dir, OWNER_LOCK_FILE))).toBe(false);
    const second = await acquireDataDirLock(dir, 'cradle migrate');
    expect(second.owner.command).toBe('cradle migrate');
    second.release();
  });

  it('lets exactly one of several openers racing for a free directory take it', async () => {
    const dir = freshDir();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireDataDirLock(dir, `cradle racer-${i}`)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof DataDirInUseError)).toHaveLength(7);
    (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireDataDirLock>>>).value.release();
  });

  it('takes over, and reports, a lock left by a process of this host that no longer runs; a live one it refuses', async () => {
    const dir = freshDir();
    await acquireDataDirLock(dir, 'probe').then((l) => l.release());
    const pid = await deadPid();
    writeLock(dir, { pid, command: 'cradle keys:reencrypt' });
    const told: DataDirOwner[] = [];
    const lock = await acquireDataDirLock(dir, 'server', { onTakeover: (stale) => told.push(stale) });
    expect(told).toEqual([expect.objectContaining({ pid, command: 'cradle keys:reencrypt' })]);
    expect(JSON.parse(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, command: 'server' });
    lock.release();

    const live = writeLock(dir, { pid: process.ppid, command: 'cradle keys:reencrypt' });
    await expect(acquireDataDirLock(dir, 'server')).rejects.toThrow(`in use by \`cradle keys:reencrypt\` (pid ${process.ppid}, started 2026-01-01T00:00:00.000Z). Wait for it to finish`);
    expect(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8')).toBe(live);
  });

  it('takes over a lock of its own pid taken before this process started (a restarted container is pid 1 again)', async () => {
    const dir = freshDir();
    await acquireDataDirLock(dir, 'probe').then((l) => l.release());
    writeLock(dir, { pid: process.pid, startedAt: new Date(performance.timeOrigin - 60_000).toISOString() });
    const told: DataDirOwner[] = [];
    const lock = await acquireDataDirLock(dir, 'server', { onTakeover: (stale) => told.push(stale) });
    expect(told).toEqual([expect.objectContaining({ pid: process.pid, command: 'server' })]);
    lock.release();
  });

  it('never takes over the lock of another host, and says which file to delete', async () => {
    const dir = freshDir();
    await acquireDataDirLock(dir, 'probe').then((l) => l.release());
    const raw = writeLock(dir, { pid: await deadPid(), host: 'elsewhere.example' });
    const refused = await acquireDataDirLock(dir, 'server').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).ownerIsLocalServer).toBe(false);
    expect((refused as Error).message).toContain(`on host elsewhere.example`);
    expect((refused as Error).message).toContain(`delete ${join(dir, OWNER_LOCK_FILE)}`);
    expect(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8')).toBe(raw);
  });

  it.skipIf(backend.databaseUrl)('is held by openDatabase from open to close, refusing a second open of the directory', async () => {
    const dir = freshDir();
    const db = await openDatabase({ kind: 'pglite', dataDir: dir }, { owner: 'server' });
    try {
      expect(JSON.parse(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, command: 'server' });
      await expect(openDatabase({ kind: 'pglite', dataDir: dir }, { owner: 'cradle migrate' })).rejects.toBeInstanceOf(DataDirInUseError);
      expect(await db.ping()).toBe(true);
    } finally {
      await db.close();
    }
    expect(existsSync(join(dir, OWNER_LOCK_FILE))).toBe(false);
    const again = await openDatabase({ kind: 'pglite', dataDir: dir }, { owner: 'cradle migrate' });
    await again.close();
  }, 120_000);
});
