import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, generateOneTimePreKeys, generateRegistration } from '../../src/crypto/client/device-keys.js';
import { MessagingApiError } from '../../src/crypto/client/messaging-api.js';
import { SecureMessagingClient } from '../../src/crypto/client/secure-messaging-client.js';
import type { TestUser } from '../helpers/builders.js';
import { gql, gqlOk, type GqlResponse } from '../helpers/graphql-client.js';
import { backend, startTestServer, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, kitFor, listen, pendingFor } from './messaging-fixtures.js';

const REGISTER = `mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId } }`;
const UPLOAD = `mutation($d: Int!, $p: [PreKeyInput!]!, $k: [SignedPreKeyInput!]!) { uploadPreKeys(deviceId: $d, preKeys: $p, kyberPreKeys: $k) { preKeys } }`;
const BUNDLES = `query($u: ID!, $d: Int) { preKeyBundles(userId: $u, deviceId: $d) { deviceId preKey { id } kyberPreKey { id } kyberPreKeyIsLastResort } }`;
const COUNT = `query($d: Int!) { preKeyCount(deviceId: $d) { preKeys kyberPreKeys } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { envelopes } }`;

/** Long sessions and tokens, so that moving the clock to refill a bucket does not sign anyone out. */
const LONG_SESSIONS = { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3600', CRADLE_SESSION_IDLE_MINUTES: '1440', CRADLE_SESSION_MAX_HOURS: '720' };

interface Bundle {
  deviceId: number;
  preKey: { id: number } | null;
  kyberPreKey: { id: number };
  kyberPreKeyIsLastResort: boolean;
}

/** Registers a device with real libsignal keys and `oneTimeKeys` one-time EC and Kyber prekeys; returns its device id. */
async function registerDevice(ts: TestServer, user: TestUser, oneTimeKeys = 0): Promise<number> {
  const { identity, registrationId } = generateIdentity();
  const stores = SecureMessagingClient.memoryStores(identity, registrationId);
  const input = await generateRegistration(stores, { signedPreKeyId: 1, kyberLastResortId: 9999 }, Date.now());
  const { registerDevice: device } = await gqlOk<{ registerDevice: { deviceId: number } }>(ts.url, REGISTER, { input }, user.token);
  if (oneTimeKeys > 0) {
    const batch = await generateOneTimePreKeys(stores, 1, oneTimeKeys, Date.now());
    await gqlOk(ts.url, UPLOAD, { d: device.deviceId, p: batch.preKeys, k: batch.kyberPreKeys }, user.token);
  }
  return device.deviceId;
}

const claim = (ts: TestServer, claimer: TestUser, target: TestUser, deviceId: number | null = null) =>
  gql<{ preKeyBundles: Bundle[] }>(ts.url, BUNDLES, { u: target.id, d: deviceId }, claimer.token);

const counts = async (ts: TestServer, owner: TestUser, deviceId: number) =>
  (await gqlOk<{ preKeyCount: { preKeys: number; kyberPreKeys: number } }>(ts.url, COUNT, { d: deviceId }, owner.token)).preKeyCount;

/** A raw `sendMessage` of `bytes`-byte bodies from one device to the named devices. */
const send = (ts: TestServer, sender: TestUser, senderDeviceId: number, to: ReadonlyArray<{ user: TestUser; deviceId: number }>, bytes: number) =>
  gql(ts.url, SEND, {
    input: {
      senderDeviceId,
      messages: to.map((r) => ({ recipientUserId: r.user.id, recipientDeviceId: r.deviceId, type: 2, body: Buffer.alloc(bytes, 7).toString('base64') })),
    },
  }, sender.token);

const extensionsOf = (res: GqlResponse) => res.errors?.[0]?.extensions;

describe('prekey claim limits and mailbox quotas', () => {
  let ts: TestServer;
  let clock: { now: number };

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(Date.now(), {
      env: {
        ...LONG_SESSIONS,
        CRADLE_MESSAGING_CLAIMS_PER_HOUR: '10',
        CRADLE_MESSAGING_MAILBOX_MAX_ENVELOPES: '5',
        CRADLE_MESSAGING_MAILBOX_MAX_BYTES: '16384',
        CRADLE_MESSAGING_MAX_ENVELOPE_BYTES: '4096',
      },
    }));
  });
  afterAll(async () => {
    await closeKits();
    await ts?.close();
  });

  it('refuses the 12-claim drain after the per-device limit (6 an hour) with RATE_LIMITED, and the device keeps its other one-time prekeys', async () => {
    const care = await careSetting(ts);
    const deviceId = await registerDevice(ts, care.patientUser, 10);
    const claims = await Promise.all(Array.from({ length: 12 }, () => claim(ts, care.midwife, care.patientUser)));
    const served = claims.filter((c) => !c.errors);
    expect(served).toHaveLength(6);
    const ids = served.map((c) => c.data!.preKeyBundles[0]!.preKey!.id).sort((a, b) => a - b);
    expect(new Set(ids).size).toBe(6);
    expect(served.every((c) => !c.data!.preKeyBundles[0]!.kyberPreKeyIsLastResort)).toBe(true);
    const refused = claims.filter((c) => c.errors);
    expect(refused.map(extensionsOf)).toEqual(Array(6).fill({ code: 'RATE_LIMITED', reason: 'PREKEY_CLAIMS', retryAfterSeconds: 600 }));
    expect(refused.every((c) => c.data === null || c.data === undefined)).toBe(true);
    expect(await counts(ts, care.patientUser, deviceId)).toEqual({ preKeys: 4, kyberPreKeys: 4 });

    // The limit is the claimer's: her care team's coordinator still gets a bundle of the same device.
    expect((await claim(ts, care.coordinator, care.patientUser)).errors).toBeUndefined();
    expect(await counts(ts, care.patientUser, deviceId)).toEqual({ preKeys: 3, kyberPreKeys: 3 });

    // One claim comes back every ten minutes on the server's clock.
    clock.now += 599_000;
    expect(extensionsOf(await claim(ts, care.midwife, care.patientUser))).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    clock.now += 1000;
    expect((await claim(ts, care.midwife, care.patientUser)).data?.preKeyBundles[0]?.preKey).not.toBeNull();
    expect(extensionsOf(await claim(ts, care.midwife, care.patientUser))).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await counts(ts, care.patientUser, deviceId)).toEqual({ preKeys: 2, kyberPreKeys: 2 });
  });

  it("refuses a claim past the claimer's overall limit (10 devices an hour), claiming nothing of any device", async () => {
    const care = await careSetting(ts);
    const phone = await registerDevice(ts, care.patientUser, 10);
    await registerDevice(ts, care.patientUser);
    await registerDevice(ts, care.patientUser);
    const desk = await registerDevice(ts, care.midwife, 3);
    for (let i = 0; i < 3; i++) expect((await claim(ts, care.coordinator, care.patientUser)).data?.preKeyBundles).toHaveLength(3);
    expect(await counts(ts, care.patientUser, phone)).toEqual({ preKeys: 7, kyberPreKeys: 7 });

    const refused = await claim(ts, care.coordinator, care.patientUser);
    expect(extensionsOf(refused)).toMatchObject({ code: 'RATE_LIMITED', reason: 'PREKEY_CLAIMS' });
    expect(await counts(ts, care.patientUser, phone)).toEqual({ preKeys: 7, kyberPreKeys: 7 });
    // One device fits what is left of the ten.
    expect((await claim(ts, care.coordinator, care.midwife, desk)).data?.preKeyBundles[0]?.preKey?.id).toBe(1);
    expect(extensionsOf(await claim(ts, care.coordinator, care.midwife, desk))).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await counts(ts, care.midwife, desk)).toEqual({ preKeys: 2, kyberPreKeys: 2 });
  });

  it('still serves the Kyber last-resort key once the one-time keys are gone, within the limit', async () => {
    const care = await careSetting(ts);
    const deviceId = await registerDevice(ts, care.patientUser, 1);
    const first = await claim(ts, care.midwife, care.patientUser);
    const second = await claim(ts, care.midwife, care.patientUser);
    expect(first.data?.preKeyBundles[0]).toMatchObject({ preKey: { id: 1 }, kyberPreKeyIsLastResort: false });
    expect(second.data?.preKeyBundles[0]).toEqual({ deviceId, preKey: null, kyberPreKey: { id: 9999 }, kyberPreKeyIsLastResort: true });
  });

  it("refuses a send to a full mailbox (5 envelopes) with RATE_LIMITED, keeps the recipient's mail, and the kit reports when to retry", async () => {
    const care = await careSetting(ts);
    const phone = kitFor(ts, care.patientUser);
    await phone.register();
    const midwife = kitFor(ts, care.midwife);
    await midwife.register();
    for (let i = 1; i <= 5; i++) await midwife.sendText(care.patientUser.id, `message ${i}`);
    const refused = await midwife.sendText(care.patientUser.id, 'one too many').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(MessagingApiError);
    expect((refused as MessagingApiError).extensions).toEqual({ code: 'RATE_LIMITED', reason: 'MAILBOX_FULL', field: 'input.messages[0]', retryAfterSeconds: 60 });
    expect((refused as MessagingApiError).retryAfterSeconds).toBe(60);
    expect(await pendingFor(ts, care.patientUser.id, phone.deviceId)).toBe(5);

    // Once the phone has read and acknowledged its mail, the midwife's next message goes through on the same session.
    const inbox = listen(phone);
    await inbox.waitFor(5);
    await expect.poll(() => pendingFor(ts, care.patientUser.id, phone.deviceId)).toBe(0);
    await midwife.sendText(care.patientUser.id, 'after the phone caught up');
    await inbox.waitFor(6);
    expect(inbox.texts()).toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 5', 'after the phone caught up']);
    expect(inbox.errors).toEqual([]);
    inbox.stop();
  });

  it('refuses a send that would take a mailbox past its bytes (16 KiB), storing none of its envelopes', async () => {
    const care = await careSetting(ts);
    const desk = await registerDevice(ts, care.midwife);
    const phone = await registerDevice(ts, care.patientUser);
    const coordinator = await registerDevice(ts, care.coordinator);
    const devices = [{ user: care.patientUser, deviceId: phone }, { user: care.coordinator, deviceId: coordinator }];
    for (let i = 0; i < 4; i++) expect((await send(ts, care.midwife, desk, [devices[0]!], 4096)).errors).toBeUndefined();
    const refused = await send(ts, care.midwife, desk, [devices[1]!, devices[0]!], 4096);
    expect(extensionsOf(refused)).toEqual({ code: 'RATE_LIMITED', reason: 'MAILBOX_FULL', field: 'input.messages[1]', retryAfterSeconds: 60 });
    expect(await pendingFor(ts, care.patientUser.id, phone)).toBe(4);
    expect(await pendingFor(ts, care.coordinator.id, coordinator)).toBe(0);
    expect((await send(ts, care.midwife, desk, [devices[1]!], 4096)).errors).toBeUndefined();
  });
});

describe('send rate limits', () => {
  let ts: TestServer;
  let clock: { now: number };

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(Date.now(), {
      env: {
        ...LONG_SESSIONS,
        CRADLE_MESSAGING_SEND_ENVELOPES_PER_MINUTE: '256',
        CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: '8192',
        CRADLE_MESSAGING_MAX_ENVELOPE_BYTES: '4096',
        CRADLE_MESSAGING_MAX_SEND_BYTES: '4096',
      },
    }));
  });
  afterAll(async () => {
    await ts?.close();
  });

  it("refuses a sender's bytes past 8 KiB a minute with RATE_LIMITED and stores nothing, until the clock has refilled them", async () => {
    const care = await careSetting(ts);
    const phone = await registerDevice(ts, care.patientUser);
    const coordinator = [{ user: care.coordinator, deviceId: await registerDevice(ts, care.coordinator) }];
    expect((await send(ts, care.patientUser, phone, coordinator, 4096)).errors).toBeUndefined();
    expect((await send(ts, care.patientUser, phone, coordinator, 4096)).errors).toBeUndefined();
    const refused = await send(ts, care.patientUser, phone, coordinator, 4096);
    expect(extensionsOf(refused)).toEqual({ code: 'RATE_LIMITED', reason: 'SEND_RATE', retryAfterSeconds: 30 });
    expect(await pendingFor(ts, care.coordinator.id, coordinator[0]!.deviceId)).toBe(2);
    clock.now += 30_000;
    expect((await send(ts, care.patientUser, phone, coordinator, 4096)).errors).toBeUndefined();
    expect(await pendingFor(ts, care.coordinator.id, coordinator[0]!.deviceId)).toBe(3);
  });

  it("refuses a sender's envelopes past 256 a minute, counted over every device she sends to, and stores nothing", async () => {
    const care = await careSetting(ts);
    const own: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < 5; i++) own.push(await registerDevice(ts, care.midwife));
    for (let i = 0; i < 5; i++) theirs.push(await registerDevice(ts, care.patientUser));
    const to = [...theirs.map((deviceId) => ({ user: care.patientUser, deviceId })), ...own.slice(1).map((deviceId) => ({ user: care.midwife, deviceId }))];
    for (let i = 0; i < 28; i++) expect((await send(ts, care.midwife, own[0]!, to, 1)).errors).toBeUndefined();
    const refused = await send(ts, care.midwife, own[0]!, to, 1);
    expect(extensionsOf(refused)).toEqual({ code: 'RATE_LIMITED', reason: 'SEND_RATE', retryAfterSeconds: 2 });
    for (const deviceId of theirs) expect(await pendingFor(ts, care.patientUser.id, deviceId)).toBe(28);
  });
});

describe.skipIf(!backend.redisUrl)('limits across two instances on Redis (skipped on the embedded default: one process, no Redis to share)', () => {
  let a: TestServer;
  let b: TestServer;
  let clock: { now: number };

  beforeAll(async () => {
    ({ ts: a, clock } = await startTestServerWithClock(Date.now(), { env: { ...LONG_SESSIONS, CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: '8192', CRADLE_MESSAGING_MAX_SEND_BYTES: '4096' } }));
    b = await startTestServer({ shareWith: a, now: () => clock.now });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('holds the per-device claim limit when the claims alternate between instances', async () => {
    expect(a.server.services.rateLimiter.kind).toBe('redis');
    const care = await careSetting(a);
    const deviceId = await registerDevice(a, care.patientUser, 10);
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(i % 2 === 0 ? a : b, care.midwife, care.patientUser)));
    expect(claims.filter((c) => !c.errors)).toHaveLength(6);
    expect(claims.filter((c) => c.errors).map(extensionsOf)).toEqual(Array(6).fill({ code: 'RATE_LIMITED', reason: 'PREKEY_CLAIMS', retryAfterSeconds: 600 }));
    expect(await counts(b, care.patientUser, deviceId)).toEqual({ preKeys: 4, kyberPreKeys: 4 });
  });

  it("holds a sender's byte rate across instances", async () => {
    const care = await careSetting(a);
    const phone = await registerDevice(a, care.patientUser);
    const coordinator = [{ user: care.coordinator, deviceId: await registerDevice(a, care.coordinator) }];
    expect((await send(a, care.patientUser, phone, coordinator, 4096)).errors).toBeUndefined();
    expect((await send(b, care.patientUser, phone, coordinator, 4096)).errors).toBeUndefined();
    expect(extensionsOf(await send(a, care.patientUser, phone, coordinator, 4096))).toMatchObject({ code: 'RATE_LIMITED', reason: 'SEND_RATE' });
    expect(extensionsOf(await send(b, care.patientUser, phone, coordinator, 4096))).toMatchObject({ code: 'RATE_LIMITED', reason: 'SEND_RATE' });
    expect(await pendingFor(a, care.coordinator.id, coordinator[0]!.deviceId)).toBe(2);
  });
});
