import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { keyEncryptionKeysFromConfig } from '../../src/crypto/kek-source.js';
import { LocalKeyEncryptionKey } from '../../src/crypto/key-encryption-key.js';
import { KmsError, VaultTransitKek, type VaultTransitOptions } from '../../src/crypto/vault-transit-kek.js';
import { createLogger } from '../../src/logger.js';
import { startTransitServer, type TransitServer } from './transit-server.js';
import { configProblems } from '../helpers/config-problems.js';

/**
 * The Vault/OpenBao transit KEK against a transit-compatible local server (`transit-server.ts`,
 * on 127.0.0.1), not a real Vault or OpenBao (none can be installed where these tests run): what
 * is proven is the provider's side of the documented HTTP API, its retries, time limits and errors.
 */

const TOKEN = `hvs.${randomBytes(18).toString('base64url')}`;
const CONTEXT = 'field-key|DATA|6f1c7a52-0d44-4d1e-9a57-3f0b6f0b2f11|0b8e2c1d-5a3f-4f5e-8d2a-1c9b7e6d5f40';

describe('VaultTransitKek', () => {
  let transit: TransitServer;

  const kek = (overrides: Partial<VaultTransitOptions> = {}): VaultTransitKek =>
    new VaultTransitKek({ address: transit.address, keyName: 'cradle', token: { value: TOKEN }, retryDelayMs: 20, ...overrides });

  beforeAll(async () => {
    transit = await startTransitServer({ token: TOKEN });
    transit.createKey('cradle');
  });
  afterAll(() => transit.close());
  beforeEach(() => {
    transit.failNext(0);
    transit.stall(false);
    transit.requests.length = 0;
  });

  it('wraps a data key through transit encrypt and unwraps it to the same bytes through decrypt', async () => {
    const dataKey = randomBytes(32);
    const wrapped = await kek().wrap(dataKey, CONTEXT);
    expect(wrapped).toMatch(/^vt1:vault:v1:[A-Za-z0-9+/=]+$/);
    expect(wrapped).not.toContain(dataKey.toString('base64'));
    expect((await kek().unwrap(wrapped, CONTEXT)).equals(dataKey)).toBe(true);
    expect(transit.requests.map((r) => [r.operation, r.keyName, r.context, r.tokenAccepted])).toEqual([
      ['encrypt', 'cradle', CONTEXT, true],
      ['decrypt', 'cradle', CONTEXT, true],
    ]);
  });

  it('does not unwrap a wrapped key under another context (a key copied to another row)', async () => {
    const wrapped = await kek().wrap(randomBytes(32), CONTEXT);
    const error = await kek().unwrap(wrapped, CONTEXT.replace('6f1c', '7f1c')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsError);
    expect(error).toMatchObject({ code: 'KMS_REJECTED', operation: 'decrypt', status: 400 });
    expect((error as Error).message).toMatch(/decrypt.*vault:transit\/cradle.*HTTP 400/);
  });

  it('names the operation and 403 on a wrong token, never the token it sent', async () => {
    const wrongToken = `hvs.${randomBytes(18).toString('base64url')}`;
    const error = await kek({ token: { value: wrongToken } }).wrap(randomBytes(32), CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsError);
    expect(error).toMatchObject({ code: 'KMS_REJECTED', operation: 'encrypt', status: 403 });
    const message = (error as Error).message;
    expect(message).toMatch(/^Vault transit encrypt with KEK vault:transit\/cradle failed: HTTP 403 \(permission denied: check CRADLE_VAULT_TOKEN/);
    expect(message).not.toContain(wrongToken);
    expect(message).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(wrongToken);
    expect(transit.requests).toHaveLength(1);
  });

  it('retries a transient 503 (a sealed or failing-over Vault) and then succeeds', async () => {
    transit.failNext(2, 503);
    const dataKey = randomBytes(32);
    const wrapped = await kek().wrap(dataKey, CONTEXT);
    expect(transit.requests.filter((r) => r.operation === 'encrypt')).toHaveLength(3);
    transit.failNext(1, 502);
    expect((await kek().unwrap(wrapped, CONTEXT)).equals(dataKey)).toBe(true);
  });

  it('fails with the status after its bounded retries when the 503 persists, within the time limit', async () => {
    transit.failNext(1000, 503);
    const started = Date.now();
    const error = await kek({ timeoutMs: 2000 }).wrap(randomBytes(32), CONTEXT).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'KMS_UNAVAILABLE', operation: 'encrypt', status: 503 });
    expect((error as Error).message).toMatch(/HTTP 503/);
    expect(transit.requests).toHaveLength(3);
  });

  it('gives up on a Vault that does not answer once its time limit has passed', async () => {
    transit.stall(true);
    const started = Date.now();
    const error = await kek({ timeoutMs: 300 }).unwrap(`vt1:vault:v1:${randomBytes(60).toString('base64')}`, CONTEXT).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(error).toMatchObject({ code: 'KMS_UNAVAILABLE', operation: 'decrypt', status: null });
    expect((error as Error).message).toBe('Vault transit decrypt with KEK vault:transit/cradle failed: no answer within 300 ms');
  });

  it('retries a refused connection and then reports a network error with its code', async () => {
    const closed = await startTransitServer({ token: TOKEN });
    await closed.close();
    const error = await kek({ address: closed.address }).wrap(randomBytes(32), CONTEXT).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KMS_UNAVAILABLE', status: null });
    expect((error as Error).message).toBe('Vault transit encrypt with KEK vault:transit/cradle failed: network error (ECONNREFUSED)');
  });

  it('stores a form distinguishable from the local KEK, and neither KEK accepts the other one', async () => {
    const local = new LocalKeyEncryptionKey(randomBytes(32));
    const dataKey = randomBytes(32);
    const byVault = await kek().wrap(dataKey, CONTEXT);
    const byLocal = await local.wrap(dataKey, CONTEXT);
    expect(byVault.startsWith('vt1:')).toBe(true);
    expect(byLocal.startsWith('kw1:')).toBe(true);
    transit.requests.length = 0;
    await expect(kek().unwrap(byLocal, CONTEXT)).rejects.toMatchObject({ code: 'KMS_REJECTED', status: null });
    expect(transit.requests).toHaveLength(0);
    await expect(local.unwrap(byVault, CONTEXT)).rejects.toThrow('Unknown wrapped-key format');
  });

  it('keeps unwrapping keys wrapped before a rotation inside Vault, and wraps new ones with the new version', async () => {
    const dataKey = randomBytes(32);
    const before = await kek().wrap(dataKey, CONTEXT);
    transit.rotateKey('cradle');
    const after = await kek().wrap(dataKey, CONTEXT);
    expect(after).toMatch(/^vt1:vault:v2:/);
    expect((await kek().unwrap(before, CONTEXT)).equals(dataKey)).toBe(true);
    expect((await kek().unwrap(after, CONTEXT)).equals(dataKey)).toBe(true);
  });

  it('has an id naming the mount and key (and namespace), not the address or the token', () => {
    expect(kek().id).toBe('vault:transit/cradle');
    expect(kek({ mount: 'kms/transit', namespace: 'admin/cradle' }).id).toBe('vault:admin/cradle:kms/transit/cradle');
    expect(kek().id).not.toContain('127.0.0.1');
  });

  it('sends the namespace header and reads the token from its file before each request', async () => {
    const scoped = await startTransitServer({ token: TOKEN, namespace: 'admin/cradle' });
    const dir = mkdtempSync(join(tmpdir(), 'cradle-vault-token-'));
    try {
      scoped.createKey('cradle');
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 'hvs.stale\n');
      const fromFile = kek({ address: scoped.address, namespace: 'admin/cradle', token: { file: tokenFile } });
      await expect(fromFile.wrap(randomBytes(32), CONTEXT)).rejects.toMatchObject({ status: 403 });
      writeFileSync(tokenFile, `${TOKEN}\n`);
      const dataKey = randomBytes(32);
      expect((await fromFile.unwrap(await fromFile.wrap(dataKey, CONTEXT), CONTEXT)).equals(dataKey)).toBe(true);
      expect(scoped.requests.at(-1)).toMatchObject({ namespace: 'admin/cradle', tokenAccepted: true });
      rmSync(tokenFile);
      await expect(fromFile.wrap(dataKey, CONTEXT)).rejects.toThrow(`cannot read the token file ${tokenFile}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await scoped.close();
    }
  });
});

describe('CRADLE_KMS=vault-transit configuration', () => {
  /** The secrets production requires besides the KEK, so production cases show only the Vault problems. */
  const productionSecrets = { CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex'), CRADLE_AUDIT_CHECKPOINT_KEY: randomBytes(32).toString('hex') };
  const vaultEnv = {
    CRADLE_KMS: 'vault-transit',
    CRADLE_VAULT_ADDR: 'https://vault.internal:8200/',
    CRADLE_VAULT_TOKEN: TOKEN,
    CRADLE_VAULT_TRANSIT_KEY: 'cradle',
  };

  it('reports every missing Vault setting together', () => {
    const problems = configProblems({ CRADLE_KMS: 'vault-transit' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['CRADLE_VAULT_ADDR', 'CRADLE_VAULT_TOKEN', 'CRADLE_VAULT_TRANSIT_KEY']);
  });

  it('reports invalid Vault settings together with other invalid settings, without quoting the token', () => {
    const problems = configProblems({
      ...vaultEnv,
      CRADLE_VAULT_ADDR: 'https://user:secret@vault.internal',
      CRADLE_VAULT_TOKEN_FILE: '/run/secrets/vault-token',
      CRADLE_VAULT_TRANSIT_KEY: 'bad/key',
      CRADLE_KEK_PREVIOUS: 'not-a-key',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['CRADLE_KEK_PREVIOUS', 'CRADLE_VAULT_ADDR', 'CRADLE_VAULT_TOKEN_FILE', 'CRADLE_VAULT_TRANSIT_KEY']);
    expect(problems.join('\n')).not.toContain(TOKEN);
    expect(configProblems({ CRADLE_KMS: 'aws', CRADLE_KMS_TIMEOUT_MS: '5' }).map((p) => p.split(':')[0])).toEqual(['CRADLE_KMS', 'CRADLE_KMS_TIMEOUT_MS']);
  });

  it('refuses Vault settings without CRADLE_KMS=vault-transit, so a forgotten switch does not fall back to a local key', () => {
    const { CRADLE_KMS: _omitted, ...withoutSwitch } = vaultEnv;
    expect(configProblems(withoutSwitch).map((p) => p.split(':')[0])).toEqual(['CRADLE_VAULT_ADDR', 'CRADLE_VAULT_TOKEN', 'CRADLE_VAULT_TRANSIT_KEY']);
  });

  it('requires https in production, except to a loopback Vault Agent', () => {
    expect(configProblems({ ...vaultEnv, ...productionSecrets, CRADLE_PRODUCTION: 'true', CRADLE_VAULT_ADDR: 'http://vault.internal:8200' })).toEqual([
      'CRADLE_VAULT_ADDR: must use https:// in production (plain http:// only to a loopback Vault Agent)',
    ]);
    expect(configProblems({ ...vaultEnv, ...productionSecrets, CRADLE_PRODUCTION: 'true', CRADLE_VAULT_ADDR: 'http://127.0.0.1:8100' })).toEqual([]);
  });

  it('makes the transit key current, needs no CRADLE_KEK in production, and keeps a configured local KEK as a previous one', () => {
    const local = randomBytes(32);
    const old = randomBytes(32);
    const config = loadConfig({ ...vaultEnv, ...productionSecrets, CRADLE_PRODUCTION: 'true', CRADLE_KEK: local.toString('base64'), CRADLE_KEK_PREVIOUS: old.toString('base64'), CRADLE_VAULT_NAMESPACE: 'admin' });
    expect(config.fieldEncryption.kms).toEqual({
      kind: 'vault-transit',
      address: 'https://vault.internal:8200',
      token: { value: TOKEN },
      mount: 'transit',
      keyName: 'cradle',
      namespace: 'admin',
      timeoutMs: 5000,
    });
    const keks = keyEncryptionKeysFromConfig(config.fieldEncryption);
    expect(keks.current).toBeInstanceOf(VaultTransitKek);
    expect(keks.ids).toEqual(['vault:admin:transit/cradle', new LocalKeyEncryptionKey(local).id, new LocalKeyEncryptionKey(old).id]);
    expect(loadConfig(vaultEnv).fieldEncryption.kek).toBeNull();
  });

  it('keeps the token out of log lines that carry the configuration or Vault headers', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const config = loadConfig(vaultEnv);
    logger.info({ fieldEncryption: config.fieldEncryption, headers: { 'x-vault-token': TOKEN }, vaultToken: TOKEN }, 'kms');
    logger.info({ config: { fieldEncryption: config.fieldEncryption } }, 'nested');
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.join('')).toContain('vault.internal');
  });
});
