import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
/** Packages a command that only prints its usage has no reason to load. */
const HEAVY = ['@mikro-orm/', '@electric-sql/pglite', 'type-graphql', '@signalapp/libsignal-client', 'node_modules/graphql/', '@apollo/server'];

describe('cradle --help (the built command line)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cradle-usage-'));
    await run('npm', ['run', '-s', 'build'], { cwd: ROOT, timeout: 120_000 });
  }, 150_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the built command line with the import recorder; returns its output and every module it imported. */
  const cradle = async (name: string, ...args: string[]) => cradleWith({}, name, ...args);
  const cradleWith = async (extra: Record<string, string>, name: string, ...args: string[]) => {
    const log = join(dir, `${name}.log`);
    const env: Record<string, string> = { ...(process.env as Record<string, string>), CRADLE_IMPORT_LOG: log, CRADLE_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' };
    delete env['DATABASE_URL'];
    delete env['CRADLE_TOKEN_SECRET'];
    Object.assign(env, extra);
    const result = await run(process.execPath, ['--import', './test/helpers/import-recorder.mjs', 'dist/src/cli.js', ...args], { cwd: ROOT, env, timeout: 60_000 }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    return { ...result, imported: readFileSync(log, 'utf8').trim().split('\n') };
  };

  it('prints the usage without loading the ORM, PGlite, GraphQL or libsignal', async () => {
    const { code, stderr, imported } = await cradle('help', '--help');
    expect(code).toBe(0);
    expect(stderr).toContain('Usage: npm run cradle -- <command> [options]');
    expect(stderr).toContain('audit:verify');
    expect(imported.some((url) => url.endsWith('/dist/src/config.js'))).toBe(true);
    expect(imported.filter((url) => HEAVY.some((name) => url.includes(name)))).toEqual([]);
  }, 90_000);

  it('prints the usage where the configuration is incomplete, and a command there still refuses to run', async () => {
    // DATABASE_URL without CRADLE_TOKEN_SECRET is an invalid configuration for every command, not for help.
    const incomplete = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const help = await cradleWith(incomplete, 'help-incomplete', '--help');
    expect(help.code).toBe(0);
    expect(help.stderr).toContain('Usage: npm run cradle -- <command> [options]');
    const unknown = await cradleWith(incomplete, 'unknown-incomplete', 'tenant:delete');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: npm run cradle -- <command> [options]');
    const migrate = await cradleWith(incomplete, 'migrate-incomplete', 'migrate');
    expect(migrate.code).toBe(78);
    expect(migrate.stderr).toContain('CRADLE_TOKEN_SECRET: required when DATABASE_URL is set');
  }, 90_000);

  it('loads a command implementation (and the ORM) when that command runs', async () => {
    const { code, stderr, imported } = await cradle('verify', 'audit:verify', '--tenant', 'not-a-uuid');
    expect(code).toBe(1);
    expect(stderr).toContain('--tenant must be a tenant id');
    expect(imported.some((url) => url.endsWith('/dist/src/audit/audit-verify-command.js'))).toBe(true);
    expect(imported.some((url) => url.includes('/node_modules/@mikro-orm/'))).toBe(true);
  }, 90_000);
});
