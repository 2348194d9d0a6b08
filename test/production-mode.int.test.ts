import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { DEMO_TOKEN_SECRET } from '../src/config-secrets.js';
import { DEMO_PASSWORD } from '../src/db/seed-demo.js';
import { TestTenant } from './helpers/builders.js';
import { errorOf, gql, gqlOk } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`;
const ME = `{ me { id role } }`;

/**
 * Production mode (`NODE_ENV=production`, as the container image sets it) on the backend the suite
 * runs on: the embedded database by default, the path the Dockerfile takes without `DATABASE_URL`.
 */
describe('production mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cradle-production-'));
  const secretFile = (name: string, value: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    return path;
  };
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({
      env: {
        NODE_ENV: 'production',
        CRADLE_IN_MEMORY_DB: 'false',
        CRADLE_DATA_DIR: join(dir, 'data'),
        // An empty value is an unset one: the test server's own settings are taken away, so the
        // defaults of production apply and every secret comes from its file, as from Docker secrets.
        CRADLE_DEMO_SEED: '',
        CRADLE_TOKEN_SECRET: '',
        CRADLE_KEK: '',
        CRADLE_AUDIT_CHECKPOINT_KEY: '',
        CRADLE_TOKEN_SECRET_FILE: secretFile('cradle_token_secret', randomBytes(32).toString('hex')),
        CRADLE_KEK_FILE: secretFile('cradle_kek', randomBytes(32).toString('base64')),
        CRADLE_AUDIT_CHECKPOINT_KEY_FILE: secretFile('cradle_audit_checkpoint_key', randomBytes(32).toString('hex')),
      },
    });
  });
  afterAll(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start on the embedded database without secrets, naming every missing one', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ NODE_ENV: 'production', CRADLE_DATA_DIR: join(dir, 'unused') });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems.map((p) => p.split(':')[0])).toEqual(['CRADLE_TOKEN_SECRET', 'CRADLE_AUDIT_CHECKPOINT_KEY', 'CRADLE_KEK']);
    expect(problems.every((p) => p.includes('required in production'))).toBe(true);
  });

  it('names an unreadable secret file and a secret given both ways', () => {
    const secrets = { CRADLE_KEK: randomBytes(32).toString('base64'), CRADLE_AUDIT_CHECKPOINT_KEY: randomBytes(32).toString('hex') };
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets, CRADLE_TOKEN_SECRET_FILE: join(dir, 'missing') })).toThrow(
      `CRADLE_TOKEN_SECRET_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
    );
    const both = { NODE_ENV: 'production', ...secrets, CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex'), CRADLE_TOKEN_SECRET_FILE: join(dir, 'cradle_token_secret') };
    expect(() => loadConfig(both)).toThrow('CRADLE_TOKEN_SECRET_FILE: set either CRADLE_TOKEN_SECRET or CRADLE_TOKEN_SECRET_FILE, not both');
    const short = secretFile('short_secret', 'too-short');
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets, CRADLE_TOKEN_SECRET_FILE: short })).toThrow(
      'CRADLE_TOKEN_SECRET (from CRADLE_TOKEN_SECRET_FILE): must be at least 32 characters',
    );
  });

  it('starts with its secrets read from files and seeds no demo accounts: the demo password fails like any wrong password', async () => {
    expect(ts.server.services.config.production).toBe(true);
    expect(ts.server.demoLogins).toBeNull();
    const demo = await gql(ts.url, LOGIN, { email: 'admin@demo.cradle.example', password: DEMO_PASSWORD });
    expect(errorOf(demo)).toEqual({ code: 'UNAUTHENTICATED', field: undefined });
    const tenant = await TestTenant.create(ts);
    const wrong = await gql(ts.url, LOGIN, { email: tenant.admin.email, password: DEMO_PASSWORD });
    expect(errorOf(wrong)).toEqual(errorOf(demo));
    expect(wrong.errors?.[0]?.message).toBe(demo.errors?.[0]?.message);
    expect((await gqlOk<{ me: { id: string } }>(ts.url, ME, {}, tenant.admin.token)).me.id).toBe(tenant.admin.id);
  });

  it('serves no explorer and no landing page: a browser at /graphql gets a short 404 (the explorer test has the positive control)', async () => {
    const res = await fetch(ts.url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('The GraphQL explorer is off (CRADLE_EXPLORER).\n');
    expect((await fetch(new URL('/explorer/graphiql.min.js', ts.url))).status).toBe(404);
  });

  it('refuses a token signed with the published demo secret (UNAUTHENTICATED) and accepts the real one', async () => {
    const tenant = await TestTenant.create(ts);
    const real = tenant.admin.token;
    const forged = await new SignJWT(decodeJwt(real))
      .setProtectedHeader(decodeProtectedHeader(real) as { alg: 'HS256' })
      .sign(new TextEncoder().encode(DEMO_TOKEN_SECRET));
    expect(forged).not.toBe(real);
    expect(errorOf(await gql(ts.url, ME, {}, forged)).code).toBe('UNAUTHENTICATED');
    expect((await gqlOk<{ me: { id: string; role: string } }>(ts.url, ME, {}, real)).me).toEqual({ id: tenant.admin.id, role: 'ADMIN' });
  });
});
