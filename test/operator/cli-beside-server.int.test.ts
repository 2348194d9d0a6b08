import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DataDirInUseError } from '../../src/db/data-dir-lock.js';
import { createServer } from '../../src/server.js';
import { signIn } from '../helpers/builders.js';
import { backend, rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const PASSWORD = 'a long enough password';

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a built entry point (`dist/src/cli.js`, `dist/src/main.js`) to its end. */
async function runBuilt(entry: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--enable-source-maps', entry, ...args], { cwd: ROOT, env, timeout: 240_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every table's row count and a digest of its rows: what a write anywhere would change. */
async function fingerprint(ts: TestServer): Promise<Record<string, string>> {
  const tables = await rawSql(ts, `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await rawSql(ts, `select count(*)::int as n, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from "${String(name)}" x`);
    out[String(name)] = `${row!['n']}:${row!['h']}`;
  }
  return out;
}

/**
 * Waits until the server's own background work is done: the compliance monitor has read every
 * tenant's audit records (its cursor row is a write the server makes after each sign-in or tenant
 * creation, not the command line's).
 */
async function quiesce(ts: TestServer): Promise<void> {
  const compliance = ts.server.services.auditTrail.compliance;
  for (;;) {
    await compliance.settle();
    const behind = await rawSql(
      ts,
      `select h.tenant_id from audit_chain_head h left join compliance_monitor m on m.tenant_id = h.tenant_id where h.seq > coalesce(m.audit_seq, 0)`,
    );
    if (behind.length === 0) return;
    for (const { tenant_id } of behind) compliance.wake(String(tenant_id));
  }
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

/**
 * The embedded database has one owner. Beside a running server on a real data directory, every
 * command of the command line that writes (and the read-only ones, which PGlite cannot share a
 * directory with either) either reaches the server (tenant:create) or is refused, naming the
 * server, leaving its data unchanged; with the server stopped, each works.
 */
describe.skipIf(backend.databaseUrl)('the command line beside a running server on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cradle-owner-'));
  const dataDir = join(dir, 'data');
  let ts: TestServer | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    await run('npm', ['run', '-s', 'build'], { cwd: ROOT, timeout: 300_000 });
    // The server's own checkpoints go beside the data directory, so its listing changes only by a writer's hand.
    ts = await startTestServer({ env: { CRADLE_IN_MEMORY_DB: 'false', CRADLE_DATA_DIR: dataDir, CRADLE_AUDIT_CHECKPOINT_FILE: join(dir, 'server-checkpoints.jsonl') } });
    env = { ...ts.env, PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'silent' };
  }, 420_000);
  afterAll(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runBuilt('dist/src/cli.js', args, env);

  it('tenant:create goes through the server: the tenant exists, its admin signs in at once, and the server audits it', async () => {
    const created = await cli('tenant:create', '--name', 'Beside Clinic', '--admin-email', 'head@beside.example', '--admin-password', PASSWORD);
    expect(created).toMatchObject({ code: 0 });
    const { tenantId, adminUserId } = lastJson(created.stdout);
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    const token = await signIn(ts!.url, 'head@beside.example', PASSWORD);
    expect(token.length).toBeGreaterThan(20);
    expect(await rawSql(ts!, `select actor_type, actor_id, action, details from audit_event where tenant_id = ? and action = 'TENANT_CREATED'`, [tenantId])).toEqual([
      { actor_type: 'SYSTEM', actor_id: 'operator-cli', action: 'TENANT_CREATED', details: { adminUserId } },
    ]);
    expect(ts!.logs.join('\n')).not.toContain(PASSWORD);

    const again = await cli('tenant:create', '--name', 'Again', '--admin-email', 'HEAD@beside.example', '--admin-password', PASSWORD);
    expect(again).toMatchObject({ code: 2 });
    expect(again.stderr).toContain('already exists');
  }, 300_000);

  const refused: Array<[string, string[]]> = [
    ['migrate', []],
    ['keys:rotate-kek', []],
    ['keys:reencrypt', ['--batch', '10']],
    ['retention:purge', []],
    ['audit:checkpoint', ['--out', 'CHECKPOINT_FILE']],
    ['audit:verify', []],
  ];

  it.each(refused)('%s is refused beside the server, naming it, and changes nothing', async (command, args) => {
    const out = join(dir, `refused-${command.replace(':', '-')}.jsonl`);
    await quiesce(ts!);
    const before = await fingerprint(ts!);
    const files = readdirSync(dataDir).sort();
    const result = await cli(command, ...args.map((a) => (a === 'CHECKPOINT_FILE' ? out : a)));
    expect(result).toMatchObject({ code: 75, stdout: '' });
    expect(result.stderr).toContain(`The embedded database in ${dataDir} is in use by the Cradle server (pid ${process.pid}, started `);
    expect(result.stderr).toContain('Stop it first');
    expect(await fingerprint(ts!)).toEqual(before);
    expect(readdirSync(dataDir).sort()).toEqual(files);
    expect(existsSync(out)).toBe(false);
  }, 300_000);

  it('a second server on the same data directory refuses to start, in another process and in this one', async () => {
    const second = await runBuilt('dist/src/main.js', [], { ...env, PORT: '0' });
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`is in use by the Cradle server (pid ${process.pid}, started `);
    expect(second.stdout).not.toContain('Cradle is listening');
    await expect(createServer(loadConfig({ ...env, PORT: '0' }))).rejects.toBeInstanceOf(DataDirInUseError);
    expect((await fetch(ts!.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
  }, 300_000);

  it('with the server stopped, every command works, and the tenants survive a restart', async () => {
    await ts!.close();
    ts = null;
    const out = join(dir, 'checkpoints.jsonl');
    const direct = await cli('tenant:create', '--name', 'After Clinic', '--admin-email', 'head@after.example', '--admin-password', PASSWORD);
    expect(direct).toMatchObject({ code: 0 });
    expect(lastJson(direct.stdout)).toEqual({ tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/), adminUserId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    for (const [command, args] of refused) {
      const result = await cli(command, ...args.map((a) => (a === 'CHECKPOINT_FILE' ? out : a)));
      expect({ command, code: result.code, stderr: result.stderr }).toEqual({ command, code: 0, stderr: '' });
      if (command === 'migrate') expect(lastJson(result.stdout)).toEqual({ applied: [] });
      if (command === 'audit:verify') expect(lastJson(result.stdout)).toMatchObject({ valid: true });
    }
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(dataDir, 'owner.lock'))).toBe(false);

    ts = await startTestServer({ env: { ...env, LOG_LEVEL: 'info', PORT: '0' } });
    expect((await signIn(ts.url, 'head@beside.example', PASSWORD)).length).toBeGreaterThan(20);
    expect((await signIn(ts.url, 'head@after.example', PASSWORD)).length).toBeGreaterThan(20);
    const { tenantId, adminUserId } = lastJson(direct.stdout);
    expect(await rawSql(ts, `select actor_type, actor_id, details from audit_event where tenant_id = ? and action = 'TENANT_CREATED'`, [tenantId])).toEqual([
      { actor_type: 'SYSTEM', actor_id: 'cli', details: { adminUserId } },
    ]);
  }, 900_000);
});
