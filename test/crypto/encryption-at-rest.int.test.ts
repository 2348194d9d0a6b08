import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/auth/totp.js';
import { ENCRYPTED_ENTITIES } from '../../src/crypto/encrypted-fields.js';
import { isSealed, sealedKeyId } from '../../src/crypto/field-cipher.js';
import { localKekId } from '../../src/crypto/key-encryption-key.js';
import { encryptQueuedColumns, reencryptFields, rotateKeyEncryptionKey } from '../../src/crypto/key-rotation.js';
import { screeningProtocolInput } from '../alerting/alerting-helpers.js';
import { signIn, TestTenant, type TestUser } from '../helpers/builders.js';
import { gql, gqlOk } from '../helpers/graphql-client.js';
import { backend, rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

const PATIENT = {
  givenName: 'Zephyrine',
  familyName: 'Quillfeather',
  birthDate: '1991-07-14',
  deliveryDate: new Date(Date.now() - 12 * 86_400_000).toISOString().slice(0, 10),
  mrn: 'MRN-77341-QX',
  phone: '+44 7700 900123',
  email: 'zephyrine.quill@example.org',
};
const INFANT_NAME = 'Thaddeus-Orion';
const MOOD_NOTE = 'Crying most evenings since the visit from Aunt Marguerite';
const SYMPTOMS_NOTE = 'Throbbing headache behind the left eye after the school run';
const JUSTIFICATION = 'Patient collapsed in the waiting room; on-call clinician needs her history now.';
const REVIEW_NOTE = 'Reviewed with Dr Okonkwo: access was necessary and proportionate.';
const CHANGE_NOTE = 'Tightened after the Quillfeather case review on ward 7';

const READ_PATIENT = `query($id: ID!) { patient(id: $id) { givenName familyName birthDate deliveryDate mrn phone email infants { givenName } } }`;
const READ_UPDATES = `query($p: ID!) { statusUpdates(patientId: $p, first: 50) { edges { node { kind data } } } }`;

/** Every value of every column of every table, as text (what a stolen dump would show). */
async function dumpDatabase(ts: TestServer): Promise<string> {
  const columns = await rawSql(
    ts,
    `select table_name, column_name from information_schema.columns where table_schema = 'public' and table_name <> 'mikro_orm_migrations' order by table_name, ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of columns) byTable.set(String(c['table_name']), [...(byTable.get(String(c['table_name'])) ?? []), String(c['column_name'])]);
  const parts: string[] = [];
  for (const [table, cols] of byTable) {
    const rows = await rawSql(ts, `select ${cols.map((c) => `"${c}"::text as "${c}"`).join(', ')} from "${table}"`);
    for (const row of rows) parts.push(...Object.values(row).map((v) => String(v ?? '')));
  }
  return parts.join('\n').toLowerCase();
}

/**
 * Servers over one durable database, restarted with other key-encryption keys: on PostgreSQL a
 * second instance on the same database; on the embedded default the same data directory reopened
 * (a PGlite directory is opened by one process at a time, so the previous server closes first).
 */
class Deployment {
  private readonly dir = backend.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'cradle-enc-'));
  private readonly servers: TestServer[] = [];

  constructor(readonly kek: string) {}

  private env(kek: string, previous: string[]): Record<string, string> {
    return {
      CRADLE_KEK: kek,
      CRADLE_KEK_PREVIOUS: previous.join(','),
      ...(this.dir ? { CRADLE_IN_MEMORY_DB: 'false', CRADLE_DATA_DIR: this.dir } : {}),
    };
  }

  get current(): TestServer {
    return this.servers[this.servers.length - 1]!;
  }

  async start(): Promise<TestServer> {
    this.servers.push(await startTestServer({ env: this.env(this.kek, []) }));
    return this.current;
  }

  /** Starts the deployment anew with these KEKs (rejects like a real start would). */
  async restart(kek: string, previous: string[] = []): Promise<TestServer> {
    if (this.dir) await this.servers.pop()?.close();
    const next = this.dir
      ? await startTestServer({ env: this.env(kek, previous) })
      : await startTestServer({ shareWith: this.servers[0]!, env: this.env(kek, previous) });
    this.servers.push(next);
    return next;
  }

  async close(): Promise<void> {
    for (const server of this.servers.reverse()) await server.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('field-level encryption at rest', () => {
  const kekA = randomBytes(32).toString('base64');
  const kekB = randomBytes(32).toString('base64');
  const deployment = new Deployment(kekA);
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let patientId: string;
  let mother: TestUser;
  let totpSecret: string;
  let protocolId: string;

  beforeAll(async () => {
    ts = await deployment.start();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    const midwife = await tenant.user('MIDWIFE');
    const outsider = await tenant.user('PRIMARY_CARE_PROVIDER');
    const compliance = await tenant.user('COMPLIANCE_OFFICER');
    mother = await tenant.user('PATIENT', `${PATIENT.givenName} ${PATIENT.familyName}`);
    const created = await gqlOk<{ createPatient: { id: string } }>(
      ts.url,
      `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`,
      { input: { ...PATIENT, userId: mother.id } },
      coordinator.token,
    );
    patientId = created.createPatient.id;
    await gqlOk(ts.url, `mutation($p: ID!, $u: ID!) { assignCareTeamMember(patientId: $p, userId: $u, role: MIDWIFE) { id } }`, { p: patientId, u: midwife.id }, coordinator.token);
    await gqlOk(
      ts.url,
      `mutation($p: ID!, $input: AddInfantInput!) { addInfant(patientId: $p, input: $input) { id } }`,
      { p: patientId, input: { givenName: INFANT_NAME, birthDate: PATIENT.deliveryDate, birthWeightGrams: 3300 } },
      coordinator.token,
    );
    await gqlOk(ts.url, `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`, { input: { patientId, score: 2, note: MOOD_NOTE } }, mother.token);
    await gqlOk(ts.url, `mutation($input: LogSymptomsInput!) { logSymptoms(input: $input) { id } }`, { input: { patientId, symptoms: ['PERSISTENT_HEADACHE'], note: SYMPTOMS_NOTE } }, mother.token);
    await gqlOk(ts.url, `mutation($input: SubmitScreeningInput!) { submitScreening(input: $input) { id } }`, { input: { patientId, instrument: 'GAD7', answers: [3, 2, 3, 1, 2, 3, 2] } }, mother.token);
    await gqlOk(
      ts.url,
      `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`,
      { input: { patientId, type: 'DATA_SHARING', categories: ['MENTAL_HEALTH'], version: 'v1.2' } },
      mother.token,
    );
    const access = await gqlOk<{ requestEmergencyAccess: { id: string } }>(
      ts.url,
      `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id } }`,
      { p: patientId, j: JUSTIFICATION },
      outsider.token,
    );
    await gqlOk(
      ts.url,
      `mutation($id: ID!, $n: String!) { reviewEmergencyAccess(id: $id, outcome: APPROPRIATE, note: $n) { id } }`,
      { id: access.requestEmergencyAccess.id, n: REVIEW_NOTE },
      compliance.token,
    );
    const protocol = await gqlOk<{ createProtocol: { id: string } }>(
      ts.url,
      `mutation($input: ProtocolInput!) { createProtocol(input: $input) { id } }`,
      { input: { ...screeningProtocolInput({ name: 'Ward 7 watch' }), changeNote: CHANGE_NOTE } },
      coordinator.token,
    );
    protocolId = protocol.createProtocol.id;
    const begun = await gqlOk<{ beginTotpEnrolment: { secret: string } }>(ts.url, `mutation { beginTotpEnrolment { secret } }`, {}, midwife.token);
    totpSecret = begun.beginTotpEnrolment.secret;
    await gqlOk(ts.url, `mutation($code: String!) { confirmTotpEnrolment(code: $code) { recoveryCodes } }`, { code: totpCode(totpSecret, Date.now()) }, midwife.token);
  }, 120_000);

  afterAll(async () => {
    await deployment.close();
  });

  const secrets = () => [
    ...Object.values(PATIENT),
    INFANT_NAME,
    MOOD_NOTE,
    SYMPTOMS_NOTE,
    JUSTIFICATION,
    REVIEW_NOTE,
    CHANGE_NOTE,
    totpSecret,
    mother.email,
    coordinator.email,
    tenant.admin.email,
    '"answers"',
  ];

  const readBack = async (server: TestServer) => {
    const token = await signIn(server.url, coordinator.email);
    const { patient } = await gqlOk<{ patient: Record<string, unknown> }>(server.url, READ_PATIENT, { id: patientId }, token);
    const updates = await gqlOk<{ statusUpdates: { edges: Array<{ node: { kind: string; data: Record<string, unknown> } }> } }>(server.url, READ_UPDATES, { p: patientId }, token);
    return { patient, data: updates.statusUpdates.edges.map((e) => e.node.data) };
  };

  const expectOriginalValues = async (server: TestServer) => {
    const { patient, data } = await readBack(server);
    expect(patient).toEqual({ ...PATIENT, infants: [{ givenName: INFANT_NAME }] });
    expect(data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ note: MOOD_NOTE, score: 2 }),
        expect.objectContaining({ note: SYMPTOMS_NOTE }),
        expect.objectContaining({ instrument: 'GAD7', answers: [3, 2, 3, 1, 2, 3, 2], total: 16 }),
      ]),
    );
  };

  it('stores no plaintext name, contact, MRN, note, answer, justification, e-mail or TOTP secret in any table', async () => {
    const dump = await dumpDatabase(ts);
    expect(dump).toContain(patientId);
    for (const secret of secrets()) expect(dump.includes(secret.toLowerCase()), `plaintext found in the dump`).toBe(false);
    for (const spec of ENCRYPTED_ENTITIES) {
      const rows = await rawSql(ts, `select ${spec.fields.map((f) => `"${f.column}"`).join(', ')} from "${spec.table}"`);
      for (const row of rows) for (const value of Object.values(row)) if (value !== null) expect(isSealed(value), spec.table).toBe(true);
    }
  });

  it('still answers every value through the API, and signs in by e-mail in any letter case', async () => {
    await expectOriginalValues(ts);
    const token = await signIn(ts.url, `  ${coordinator.email.toUpperCase()} `);
    expect(token).toMatch(/^ey/);
  });

  it('refuses a ciphertext moved to another row or column: the read fails without revealing a value', async () => {
    const [infant] = await rawSql(ts, `select "id", "given_name" from "infant" where "patient_id" = ?`, [patientId]);
    const [patient] = await rawSql(ts, `select "given_name" from "patient" where "id" = ?`, [patientId]);
    await rawSql(ts, `update "infant" set "given_name" = ? where "id" = ?`, [patient!['given_name'], infant!['id']]);
    try {
      const token = await signIn(ts.url, coordinator.email);
      const res = await gql(ts.url, READ_PATIENT, { id: patientId }, token);
      expect(res.errors?.[0]?.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
      const said = JSON.stringify(res) + ts.logs.join('\n');
      for (const secret of secrets()) expect(said.toLowerCase().includes(secret.toLowerCase())).toBe(false);
    } finally {
      await rawSql(ts, `update "infant" set "given_name" = ? where "id" = ?`, [infant!['given_name'], infant!['id']]);
    }
    await expectOriginalValues(ts);
  });

  it('reads rows written before encryption, signs their users in, and encrypts them with keys:reencrypt', async () => {
    const legacy = `legacy-${Date.now()}@test.example`;
    await rawSql(ts, `update "app_user" set "email" = ?, "email_index" = null where "id" = ?`, [legacy, coordinator.id]);
    await rawSql(ts, `update "infant" set "given_name" = 'Legacyna' where "patient_id" = ?`, [patientId]);
    const token = await signIn(ts.url, legacy.toUpperCase());
    const { patient } = await gqlOk<{ patient: { infants: Array<{ givenName: string }> } }>(ts.url, READ_PATIENT, { id: patientId }, token);
    expect(patient.infants).toEqual([{ givenName: 'Legacyna' }]);

    const result = await reencryptFields(ts.server.database.fieldKeys, { batchSize: 100 });
    expect(result.finished).toBe(true);
    const dump = await dumpDatabase(ts);
    expect(dump.includes('legacyna')).toBe(false);
    expect(dump.includes(legacy)).toBe(false);
    await signIn(ts.url, legacy);
    await rawSql(ts, `update "app_user" set "email" = ?, "email_index" = null where "id" = ?`, [coordinator.email, coordinator.id]);
    await rawSql(ts, `update "infant" set "given_name" = ? where "patient_id" = ?`, [INFANT_NAME, patientId]);
    await reencryptFields(ts.server.database.fieldKeys, { batchSize: 100 });
  });

  it('reads a protocol change note back, and seals the plaintext notes the migration queued (rows written before encryption)', async () => {
    const versions = async () =>
      (await gqlOk<{ protocol: { versions: Array<{ changeNote: string }> } }>(ts.url, `query($id: ID!) { protocol(id: $id) { versions { changeNote } } }`, { id: protocolId }, coordinator.token))
        .protocol.versions.map((v) => v.changeNote);
    expect(await versions()).toEqual([CHANGE_NOTE]);

    await rawSql(ts, `update "protocol_version" set "change_note" = 'Legacy note naming Mrs Pennywhistle' where "protocol_id" = ?`, [protocolId]);
    await rawSql(ts, `insert into "field_encryption_backfill" ("table_name") values ('protocol_version')`);
    expect(await versions()).toEqual(['Legacy note naming Mrs Pennywhistle']);
    expect(await encryptQueuedColumns(ts.server.database.fieldKeys, 2)).toBeGreaterThanOrEqual(1);
    expect(await rawSql(ts, `select 1 from "field_encryption_backfill"`)).toEqual([]);
    expect((await dumpDatabase(ts)).includes('pennywhistle')).toBe(false);
    const stored = await rawSql(ts, `select "change_note" from "protocol_version" where "protocol_id" = ?`, [protocolId]);
    expect(isSealed(stored[0]!['change_note'])).toBe(true);
    expect(await versions()).toEqual(['Legacy note naming Mrs Pennywhistle']);

    const sealedNote = await rawSql(ts, `select "id", "change_note" from "protocol_version" where "protocol_id" = ?`, [protocolId]);
    await rawSql(ts, `update "protocol_version" set "change_note" = ? where "id" = ?`, [CHANGE_NOTE, sealedNote[0]!['id']]);
    await rawSql(ts, `insert into "field_encryption_backfill" ("table_name") values ('protocol_version')`);
    await encryptQueuedColumns(ts.server.database.fieldKeys);
    expect(await versions()).toEqual([CHANGE_NOTE]);
  });

  it('keeps every record readable through a KEK rotation and a re-encryption interrupted after one batch', async () => {
    const rotated = await deployment.restart(kekB, [kekA]);
    const rewrap = await rotateKeyEncryptionKey(rotated.server.database.fieldKeys);
    expect(rewrap).toMatchObject({ kekId: localKekId(Buffer.from(kekB, 'base64')), unreadable: 0 });
    expect(rewrap.rewrapped).toBeGreaterThan(1);
    const kekIds = await rawSql(rotated, `select distinct "kek_id" from "field_data_key"`);
    expect(kekIds.map((r) => r['kek_id'])).toEqual([rewrap.kekId]);
    await expectOriginalValues(rotated);

    const before = await rawSql(rotated, `select "id" from "field_data_key" where "purpose" = 'DATA'`);
    const first = await reencryptFields(rotated.server.database.fieldKeys, { batchSize: 2, maxBatches: 1 });
    expect(first.finished).toBe(false);
    expect(await rawSql(rotated, `select "table_name" from "field_reencryption_progress" where "last_id" <> ''`)).toHaveLength(1);
    await expectOriginalValues(rotated);
    const rest = await reencryptFields(rotated.server.database.fieldKeys, { batchSize: 2 });
    expect(rest.finished).toBe(true);
    expect(first.reencrypted + rest.reencrypted).toBeGreaterThan(10);
    expect(await rawSql(rotated, `select 1 from "field_reencryption_progress"`)).toEqual([]);
    const oldKeys = new Set(before.map((r) => String(r['id'])));
    for (const spec of ENCRYPTED_ENTITIES) {
      const rows = await rawSql(rotated, `select ${spec.fields.map((f) => `"${f.column}"`).join(', ')} from "${spec.table}"`);
      for (const row of rows) for (const value of Object.values(row)) if (value !== null) expect(oldKeys.has(sealedKeyId(value)!), spec.table).toBe(false);
    }

    const onlyB = await deployment.restart(kekB);
    await expectOriginalValues(onlyB);
  });

  it('refuses to start with a wrong key-encryption key, naming the setting and no PHI', async () => {
    const wrong = randomBytes(32).toString('base64');
    const failure = await deployment.restart(wrong).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(failure?.name).toBe('WrongKeyEncryptionKeyError');
    expect(failure?.message).toMatch(/CRADLE_KEK/);
    for (const secret of secrets()) expect(failure?.message.toLowerCase().includes(secret.toLowerCase())).toBe(false);
  });
});
