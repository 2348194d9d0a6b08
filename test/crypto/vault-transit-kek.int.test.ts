import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKekId } from '../../src/crypto/key-encryption-key.js';
import { rotateKeyEncryptionKey } from '../../src/crypto/key-rotation.js';
import { TestTenant } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { backend, rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startTransitServer, type TransitServer } from './transit-server.js';

/**
 * The real server with its KEK in Vault/OpenBao transit, here a transit-compatible local server
 * (`transit-server.ts`), not a real Vault or OpenBao.
 */

const TOKEN = `hvs.${randomBytes(18).toString('base64url')}`;
const VAULT_KEK_ID = 'vault:transit/cradle';
const READ_PATIENT = `query($id: ID!) { patient(id: $id) { givenName familyName mrn } }`;

async function dataKeys(ts: TestServer): Promise<Array<{ kekId: string; wrapped: string }>> {
  const rows = await rawSql(ts, `select "kek_id", "wrapped_key" from "field_data_key" order by "created_at"`);
  return rows.map((r) => ({ kekId: String(r['kek_id']), wrapped: String(r['wrapped_key']) }));
}

async function readPatient(ts: TestServer, token: string, id: string): Promise<unknown> {
  return (await gqlOk<{ patient: unknown }>(ts.url, READ_PATIENT, { id }, token)).patient;
}

describe('field encryption with the KEK in Vault transit', () => {
  let transit: TransitServer;
  const vaultEnv = (): Record<string, string> => ({
    CRADLE_KMS: 'vault-transit',
    CRADLE_VAULT_ADDR: transit.address,
    CRADLE_VAULT_TOKEN: TOKEN,
    CRADLE_VAULT_TRANSIT_KEY: 'cradle',
  });

  beforeAll(async () => {
    transit = await startTransitServer({ token: TOKEN });
    transit.createKey('cradle');
  });
  afterAll(() => transit.close());

  it('wraps every data key with Vault and serves a patient created through the API', async () => {
    // CRADLE_KEK '' drops the helper's local key: Vault is the only KEK.
    const ts = await startTestServer({ env: { ...vaultEnv(), CRADLE_KEK: '' } });
    try {
      const tenant = await TestTenant.create(ts);
      const coordinator = await tenant.user('CARE_COORDINATOR');
      const patient = await tenant.patient(coordinator);
      const read = (await readPatient(ts, coordinator.token, patient.id)) as { givenName: string; mrn: string };
      expect(read.givenName).toBe('Testa');
      expect(read.mrn).toMatch(/^MRN-/);
      const [stored] = await rawSql(ts, `select "given_name" from "patient" where "id" = ?`, [patient.id]);
      expect(String(stored!['given_name'])).toMatch(/^v1\./);
      const keys = await dataKeys(ts);
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) {
        expect(key.kekId).toBe(VAULT_KEK_ID);
        expect(key.wrapped).toMatch(/^vt1:vault:v1:/);
      }
      const [tenantKey] = await rawSql(ts, `select "id" from "field_data_key" where "tenant_id" = ?`, [tenant.id]);
      const contexts = transit.requests.filter((r) => r.operation === 'encrypt').map((r) => r.context);
      expect(contexts).toContain(`field-key|DATA|${String(tenantKey!['id'])}|${tenant.id}`);
    } finally {
      await ts.close();
    }
  });

  it('refuses to start while Vault is unreachable with a KMS error, not a wrong-key one, and starts once it is back', async () => {
    // A second start must open the database itself (and so load its keys): on disk for the embedded database.
    const dir = backend.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'cradle-vault-down-'));
    const env = { ...vaultEnv(), CRADLE_KEK: '', CRADLE_KMS_TIMEOUT_MS: '500', ...(dir ? { CRADLE_IN_MEMORY_DB: 'false', CRADLE_DATA_DIR: dir } : {}) };
    const first = await startTestServer({ env });
    const again = (): Promise<TestServer> => (dir ? startTestServer({ env }) : startTestServer({ shareWith: first, env }));
    try {
      if (dir) await first.close();
      transit.failNext(1000, 503);
      const refused = await again().then(
        (ts) => ts.close().then(() => null),
        (err: unknown) => err,
      );
      expect(refused).toMatchObject({ name: 'KmsError', code: 'KMS_UNAVAILABLE' });
      transit.failNext(0);
      await (await again()).close();
    } finally {
      transit.failNext(0);
      if (!dir) await first.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('moves a deployment from the local KEK to Vault with keys:rotate-kek, after which the local key is no longer needed', async () => {
    const localKek = randomBytes(32).toString('base64');
    // The embedded database is reopened from its directory (one process at a time); PostgreSQL is shared.
    const dir = backend.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'cradle-vault-'));
    // One token secret throughout, so the coordinator's session outlives the restarts.
    const onDisk = { CRADLE_TOKEN_SECRET: `test-secret-${randomBytes(16).toString('hex')}`, ...(dir ? { CRADLE_IN_MEMORY_DB: 'false', CRADLE_DATA_DIR: dir } : {}) };
    const servers: TestServer[] = [];
    const start = async (env: Record<string, string>): Promise<TestServer> => {
      if (dir) await servers.pop()?.close();
      const ts = servers[0] && !dir ? await startTestServer({ shareWith: servers[0], env }) : await startTestServer({ env: { ...onDisk, ...env } });
      servers.push(ts);
      return ts;
    };
    try {
      const local = await start({ CRADLE_KEK: localKek });
      const tenant = await TestTenant.create(local);
      const coordinator = await tenant.user('CARE_COORDINATOR');
      const patient = await tenant.patient(coordinator);
      const before = (await readPatient(local, coordinator.token, patient.id)) as { familyName: string };
      expect((await dataKeys(local)).every((k) => k.kekId === localKekId(Buffer.from(localKek, 'base64')) && k.wrapped.startsWith('kw1:'))).toBe(true);

      const migrating = await start({ ...vaultEnv(), CRADLE_KEK: localKek });
      expect(await readPatient(migrating, coordinator.token, patient.id)).toEqual(before);
      const result = await rotateKeyEncryptionKey(migrating.server.database.fieldKeys);
      expect(result.kekId).toBe(VAULT_KEK_ID);
      expect(result.rewrapped).toBeGreaterThanOrEqual(2);
      expect(result.unreadable).toBe(0);
      expect((await dataKeys(migrating)).every((k) => k.kekId === VAULT_KEK_ID && k.wrapped.startsWith('vt1:vault:v1:'))).toBe(true);

      const vaultOnly = await start({ ...vaultEnv(), CRADLE_KEK: '' });
      expect(await readPatient(vaultOnly, coordinator.token, patient.id)).toEqual(before);
      expect((await rotateKeyEncryptionKey(vaultOnly.server.database.fieldKeys)).rewrapped).toBe(0);
    } finally {
      for (const ts of servers.reverse()) await ts.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
});
