import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, generateOneTimePreKeys, generateRegistration, type DeviceRegistration } from '../../src/crypto/client/device-keys.js';
import { SecureMessagingClient } from '../../src/crypto/client/secure-messaging-client.js';
import type { SignalStores } from '../../src/crypto/client/signal-stores.js';
import type { TestUser } from '../helpers/builders.js';
import { collect, errorOf, gql, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, kitFor, listen, waitForMailboxSubscriptions, type CareSetting } from './messaging-fixtures.js';

const REGISTER = `mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId registrationId } }`;
const UPLOAD = `mutation($d: Int!, $p: [PreKeyInput!]!, $k: [SignedPreKeyInput!]!) { uploadPreKeys(deviceId: $d, preKeys: $p, kyberPreKeys: $k) { deviceId preKeys kyberPreKeys low } }`;
const BUNDLES = `query($u: ID!) { preKeyBundles(userId: $u) { deviceId registrationId identityKey signedPreKey { id } preKey { id publicKey } kyberPreKey { id publicKey signature } kyberPreKeyIsLastResort } }`;
const COUNT = `query($d: Int!) { preKeyCount(deviceId: $d) { deviceId preKeys kyberPreKeys low } }`;
const REMOVE = `mutation($d: Int!) { removeDevice(deviceId: $d) }`;

interface Bundle {
  deviceId: number;
  preKey: { id: number; publicKey: string } | null;
  kyberPreKey: { id: number; publicKey: string; signature: string };
  kyberPreKeyIsLastResort: boolean;
}

/** Flips one bit of a base64 value (a tampered key or signature). */
function tamper(value: string, byte = 10): string {
  const bytes = Buffer.from(value, 'base64');
  bytes[byte]! ^= 0x01;
  return bytes.toString('base64');
}

function freshStores(): SignalStores {
  const { identity, registrationId } = generateIdentity();
  return SecureMessagingClient.memoryStores(identity, registrationId);
}

async function registration(): Promise<{ stores: SignalStores; input: DeviceRegistration }> {
  const stores = freshStores();
  return { stores, input: await generateRegistration(stores, { signedPreKeyId: 1, kyberLastResortId: 9999 }, Date.now()) };
}

describe('messaging key directory', () => {
  let ts: TestServer;
  let care: CareSetting;

  beforeAll(async () => {
    ts = await startTestServer({
      env: {
        CRADLE_MESSAGING_MAX_DEVICES: '2',
        CRADLE_MESSAGING_LOW_PREKEYS: '5',
        CRADLE_MESSAGING_MAX_PREKEYS_PER_UPLOAD: '30',
        // These tests drain one device's keys with one claimer on purpose (20 concurrent claims);
        // the claim limits themselves are tested in messaging-limits.int.test.ts.
        CRADLE_MESSAGING_CLAIMS_PER_DEVICE_PER_HOUR: '100',
      },
    });
    care = await careSetting(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  const deviceRows = async (user: TestUser) => (await rawSql(ts, `select "device_id" from "messaging_device" where "user_id" = ?`, [user.id])).length;
  const register = async (user: TestUser) => {
    const { stores, input } = await registration();
    const data = await gqlOk<{ registerDevice: { deviceId: number } }>(ts.url, REGISTER, { input }, user.token);
    return { stores, deviceId: data.registerDevice.deviceId };
  };

  it('refuses a signed prekey or a Kyber last-resort key whose signature does not verify, storing nothing', async () => {
    const { input } = await registration();
    const badSigned = await gql(ts.url, REGISTER, { input: { ...input, signedPreKey: { ...input.signedPreKey, signature: tamper(input.signedPreKey.signature) } } }, care.outsider.token);
    expect(errorOf(badSigned)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.signedPreKey' });
    const otherIdentity = (await registration()).input;
    const foreignKyber = await gql(ts.url, REGISTER, { input: { ...input, kyberLastResortPreKey: otherIdentity.kyberLastResortPreKey } }, care.outsider.token);
    expect(errorOf(foreignKyber)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.kyberLastResortPreKey' });
    expect(await deviceRows(care.outsider)).toBe(0);
  });

  it('refuses bad base64, wrong key lengths and out-of-range registration ids, naming the field', async () => {
    const { input } = await registration();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...input, identityKey: 'not base64!' }, 'input.identityKey'],
      [{ ...input, identityKey: Buffer.alloc(32, 5).toString('base64') }, 'input.identityKey'],
      [{ ...input, signedPreKey: { ...input.signedPreKey, publicKey: Buffer.alloc(34, 5).toString('base64') } }, 'input.signedPreKey.publicKey'],
      [{ ...input, kyberLastResortPreKey: { ...input.kyberLastResortPreKey, publicKey: input.signedPreKey.publicKey } }, 'input.kyberLastResortPreKey.publicKey'],
      [{ ...input, signedPreKey: { ...input.signedPreKey, signature: Buffer.alloc(63).toString('base64') } }, 'input.signedPreKey.signature'],
      [{ ...input, registrationId: 0x4000 }, 'input.registrationId'],
      [{ ...input, registrationId: 0 }, 'input.registrationId'],
    ];
    for (const [bad, field] of cases) expect(errorOf(await gql(ts.url, REGISTER, { input: bad }, care.outsider.token))).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(await deviceRows(care.outsider)).toBe(0);
  });

  it('refuses an upload with one badly signed Kyber prekey, too many keys, or a device id out of range, storing none of it', async () => {
    const { stores, deviceId } = await register(care.coordinator);
    const batch = await generateOneTimePreKeys(stores, 1, 5, Date.now());
    const kyber = batch.kyberPreKeys.map((k, i) => (i === 3 ? { ...k, signature: tamper(k.signature) } : k));
    expect(errorOf(await gql(ts.url, UPLOAD, { d: deviceId, p: batch.preKeys, k: kyber }, care.coordinator.token))).toEqual({ code: 'BAD_USER_INPUT', field: 'kyberPreKeys[3]' });
    const many = await generateOneTimePreKeys(stores, 100, 31, Date.now());
    expect(errorOf(await gql(ts.url, UPLOAD, { d: deviceId, p: many.preKeys, k: [] }, care.coordinator.token))).toEqual({ code: 'BAD_USER_INPUT', field: 'preKeys' });
    expect(errorOf(await gql(ts.url, UPLOAD, { d: 128, p: batch.preKeys, k: [] }, care.coordinator.token))).toEqual({ code: 'BAD_USER_INPUT', field: 'deviceId' });
    const counts = await gqlOk<{ preKeyCount: { preKeys: number; kyberPreKeys: number; low: boolean } }>(ts.url, COUNT, { d: deviceId }, care.coordinator.token);
    expect(counts.preKeyCount).toEqual({ deviceId, preKeys: 0, kyberPreKeys: 0, low: true });
  });

  it('limits devices per user and frees the slot, with its keys, when a device is removed', async () => {
    const first = await register(care.midwife);
    const second = await register(care.midwife);
    expect([first.deviceId, second.deviceId]).toEqual([1, 2]);
    const { input } = await registration();
    const third = await gql(ts.url, REGISTER, { input }, care.midwife.token);
    expect(third.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'DEVICE_LIMIT' });
    const batch = await generateOneTimePreKeys(second.stores, 1, 3, Date.now());
    await gqlOk(ts.url, UPLOAD, { d: second.deviceId, p: batch.preKeys, k: batch.kyberPreKeys }, care.midwife.token);
    expect(await gqlOk(ts.url, REMOVE, { d: second.deviceId }, care.midwife.token)).toEqual({ removeDevice: true });
    const leftovers = await rawSql(
      ts,
      `select (select count(*) from "messaging_pre_key" k join "messaging_device" d on d."id" = k."device_pk" where d."user_id" = ?) as "ec",
              (select count(*) from "messaging_kyber_pre_key" k join "messaging_device" d on d."id" = k."device_pk" where d."user_id" = ?) as "kem"`,
      [care.midwife.id, care.midwife.id],
    );
    expect(leftovers[0]).toMatchObject({ ec: expect.anything(), kem: expect.anything() });
    expect([Number(leftovers[0]!['ec']), Number(leftovers[0]!['kem'])]).toEqual([0, 0]);
    const again = await gqlOk<{ registerDevice: { deviceId: number } }>(ts.url, REGISTER, { input }, care.midwife.token);
    expect(again.registerDevice.deviceId).toBe(2);
    // Another user's device id is not the caller's: it answers like one that does not exist.
    expect(errorOf(await gql(ts.url, REMOVE, { d: 2 }, care.patientUser.token))).toEqual({ code: 'NOT_FOUND', field: 'deviceId' });
  });

  it('gives 20 concurrent bundle claims on 10 one-time keys 10 distinct keys, then no EC key and the Kyber last-resort key', async () => {
    const { stores, deviceId } = await register(care.patientUser);
    const batch = await generateOneTimePreKeys(stores, 1, 10, Date.now());
    await gqlOk(ts.url, UPLOAD, { d: deviceId, p: batch.preKeys, k: batch.kyberPreKeys }, care.patientUser.token);
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => gqlOk<{ preKeyBundles: Bundle[] }>(ts.url, BUNDLES, { u: care.patientUser.id }, care.midwife.token)),
    );
    const bundles = claims.map((c) => c.preKeyBundles.find((b) => b.deviceId === deviceId)!);
    const ecIds = bundles.flatMap((b) => (b.preKey ? [b.preKey.id] : []));
    expect(ecIds.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(bundles.filter((b) => b.preKey === null)).toHaveLength(10);
    const oneTimeKyber = bundles.filter((b) => !b.kyberPreKeyIsLastResort).map((b) => b.kyberPreKey.id);
    expect(oneTimeKyber.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const lastResort = bundles.filter((b) => b.kyberPreKeyIsLastResort);
    expect(lastResort).toHaveLength(10);
    expect(new Set(lastResort.map((b) => b.kyberPreKey.id))).toEqual(new Set([9999]));
    const counts = await gqlOk<{ preKeyCount: { preKeys: number; kyberPreKeys: number } }>(ts.url, COUNT, { d: deviceId }, care.patientUser.token);
    expect(counts.preKeyCount).toMatchObject({ preKeys: 0, kyberPreKeys: 0 });
  });

  it('tells the owning device when a claim leaves fewer one-time prekeys than the threshold', async () => {
    const { stores, deviceId } = await register(care.patientUser);
    const batch = await generateOneTimePreKeys(stores, 1, 5, Date.now());
    await gqlOk(ts.url, UPLOAD, { d: deviceId, p: batch.preKeys, k: batch.kyberPreKeys }, care.patientUser.token);
    const client = wsClient(ts.wsUrl, care.patientUser.token);
    try {
      const alerts = collect<{ preKeysLow: { deviceId: number; preKeys: number; kyberPreKeys: number; low: boolean } }>(
        client,
        `subscription($d: Int!) { preKeysLow(deviceId: $d) { deviceId preKeys kyberPreKeys low } }`,
        { d: deviceId },
      );
      await waitForMailboxSubscriptions(ts, 1);
      await quietPeriod(200);
      expect(alerts.received).toEqual([]);
      await gqlOk(ts.url, BUNDLES, { u: care.patientUser.id }, care.midwife.token);
      const [alert] = await alerts.waitFor(1);
      expect(alert!.preKeysLow).toEqual({ deviceId, preKeys: 4, kyberPreKeys: 4, low: true });
    } finally {
      await client.dispose();
    }
  });

  it('makes a listening client kit upload fresh prekeys by itself when told they run low', async () => {
    const kit = kitFor(ts, care.coordinator, { preKeyBatch: 5 });
    await kit.register();
    const inbox = listen(kit);
    try {
      await waitForMailboxSubscriptions(ts, 2);
      const claimed = await gqlOk<{ preKeyBundles: Bundle[] }>(ts.url, BUNDLES, { u: care.coordinator.id }, care.patientUser.token);
      expect(claimed.preKeyBundles.find((b) => b.deviceId === kit.deviceId)?.preKey?.id).toBe(1);
      const count = async () =>
        (await gqlOk<{ preKeyCount: { preKeys: number; kyberPreKeys: number } }>(ts.url, COUNT, { d: kit.deviceId }, care.coordinator.token)).preKeyCount;
      await expect.poll(count, { timeout: 10_000 }).toEqual({ deviceId: kit.deviceId, preKeys: 9, kyberPreKeys: 9, low: false });
      expect(inbox.errors).toEqual([]);
    } finally {
      inbox.stop();
      await closeKits();
    }
  });

  it('answers NOT_FOUND for bundles of a user outside the caller’s care relations, and for another user’s prekey count', async () => {
    const bundles = await gql(ts.url, BUNDLES, { u: care.patientUser.id }, care.outsider.token);
    expect(errorOf(bundles)).toEqual({ code: 'NOT_FOUND', field: 'userId' });
    const unknown = await gql(ts.url, BUNDLES, { u: crypto.randomUUID() }, care.midwife.token);
    expect(errorOf(unknown)).toEqual({ code: 'NOT_FOUND', field: 'userId' });
    expect(errorOf(await gql(ts.url, COUNT, { d: 3 }, care.patientUser.token))).toEqual({ code: 'NOT_FOUND', field: 'deviceId' });
    const admin = await gql(ts.url, BUNDLES, { u: care.patientUser.id }, care.tenant.admin.token);
    expect(errorOf(admin).code).toBe('FORBIDDEN');
  });
});
