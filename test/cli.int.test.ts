import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from './helpers/test-server.js';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;

describe('npm run cradle -- tenant:create', () => {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_LEVEL: 'silent' };
  let cleanup: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (backend.databaseUrl) {
      const name = `cradle_cli_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
      const admin = new pg.Client({ connectionString: backend.databaseUrl });
      await admin.connect();
      await admin.query(`create database "${name}"`);
      await admin.end();
      const url = new URL(backend.databaseUrl);
      url.pathname = `/${name}`;
      env['DATABASE_URL'] = url.toString();
      env['CRADLE_TOKEN_SECRET'] = 'x'.repeat(40);
      cleanup = async () => {
        const c = new pg.Client({ connectionString: backend.databaseUrl! });
        await c.connect();
        await c.query(`drop database if exists "${name}" with (force)`);
        await c.end();
      };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'cradle-cli-'));
      delete env['DATABASE_URL'];
      env['CRADLE_DATA_DIR'] = dir;
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await cleanup();
  });

  const cradle = (...args: string[]) => run('npm', ['run', '-s', 'cradle', '--', ...args], { cwd: ROOT, env, timeout: 300_000 });

  it('creates a tenant and its first ADMIN and prints their ids as JSON', async () => {
    const { stdout } = await cradle('tenant:create', '--name', 'CLI Clinic', '--admin-email', 'Head@CLI.example', '--admin-password', 'a long enough password');
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result).toEqual({ tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/), adminUserId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  }, 400_000);

  it('refuses a second tenant with the same admin e-mail, exiting non-zero with a clear message', async () => {
    const failure = await cradle('tenant:create', '--name', 'Again', '--admin-email', 'head@cli.example', '--admin-password', 'a long enough password').catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('already exists');
  }, 400_000);

  it('explains its usage when options are missing', async () => {
    const failure = await cradle('tenant:create', '--name', 'Incomplete').catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('--admin-email');
  }, 400_000);
});

/** The README's first command runs the built server on the embedded default; this drives that same entry point. */
describe('npm start (the built server, embedded default)', () => {
  it('listens, prints its URL and the demo logins, answers health checks and stops cleanly on SIGTERM', async () => {
    await run('npm', ['run', '-s', 'build'], { cwd: ROOT, timeout: 120_000 });
    const dir = mkdtempSync(join(tmpdir(), 'cradle-start-'));
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', CRADLE_METRICS_PORT: '0', HOST: '127.0.0.1', CRADLE_DATA_DIR: dir, CRADLE_DEMO_SEED: 'true', LOG_LEVEL: 'warn' };
    delete env['DATABASE_URL'];
    delete env['REDIS_URL'];
    const child = spawn(process.execPath, ['--enable-source-maps', 'dist/src/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /Cradle is listening: (http:\/\/\S+\/graphql)/.exec(out);
          if (match && out.includes('coordinator@demo.cradle.example')) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
      });
      expect(out).toContain('Demo logins (synthetic data only)');
      expect((await fetch(url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
      expect((await fetch(url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
      const metricsUrl = /Metrics \(internal listener\): (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out)?.[1];
      expect((await fetch(metricsUrl!)).status).toBe(200);
      expect((await fetch(url.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
