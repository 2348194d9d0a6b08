import { IdentityKeyPair, ErrorCode, LibSignalErrorBase } from '@signalapp/libsignal-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLMessagingApi } from '../../src/crypto/client/messaging-api.js';
import { SecureMessagingClient } from '../../src/crypto/client/secure-messaging-client.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, kitFor, listen, type CareSetting } from './messaging-fixtures.js';

describe('prekey exhaustion and identity changes', () => {
  let ts: TestServer;
  let care: CareSetting;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_MESSAGING_LOW_PREKEYS: '0' } });
    care = await careSetting(ts);
  });
  afterAll(async () => {
    await closeKits();
    await ts?.close();
  });

  it('starts a working session from the Kyber last-resort key once the one-time prekeys are used up', async () => {
    const phone = kitFor(ts, care.patientUser, { preKeyBatch: 1 });
    await phone.register();
    const inbox = listen(phone);
    const midwife = kitFor(ts, care.midwife);
    const coordinator = kitFor(ts, care.coordinator);
    await midwife.register();
    await coordinator.register();
    await midwife.sendText(care.patientUser.id, 'from the midwife, on one-time keys');
    const counts = await gqlOk<{ preKeyCount: { preKeys: number; kyberPreKeys: number } }>(
      ts.url, `query($d: Int!) { preKeyCount(deviceId: $d) { preKeys kyberPreKeys } }`, { d: phone.deviceId }, care.patientUser.token,
    );
    expect(counts.preKeyCount).toEqual({ preKeys: 0, kyberPreKeys: 0 });
    await coordinator.sendText(care.patientUser.id, 'from the coordinator, on the last-resort key');
    await inbox.waitFor(2);
    expect(inbox.items.map((i) => i.ok && { text: i.message.text, type: i.message.type })).toEqual([
      { text: 'from the midwife, on one-time keys', type: 3 },
      { text: 'from the coordinator, on the last-resort key', type: 3 },
    ]);
    await phone.sendText(care.coordinator.id, 'the reply still works');
    inbox.stop();
  });

  it('detects on the client that a device’s identity key changed, and refuses to encrypt to it', async () => {
    const midwife = kitFor(ts, care.midwife);
    await midwife.register();
    // The patient's phone is replaced: same device id, same registration id, new identity key.
    const phoneUser = care.patientUser;
    const phoneApi = new GraphQLMessagingApi(ts.url, ts.wsUrl, () => phoneUser.token);
    const oldPhone = new SecureMessagingClient(phoneApi, phoneUser.id, SecureMessagingClient.memoryStores(IdentityKeyPair.generate(), 4242));
    const removeAll = async () => {
      const devices = await gqlOk<{ myDevices: Array<{ deviceId: number }> }>(ts.url, `{ myDevices { deviceId } }`, {}, phoneUser.token);
      for (const d of devices.myDevices) await gqlOk(ts.url, `mutation($d: Int!) { removeDevice(deviceId: $d) }`, { d: d.deviceId }, phoneUser.token);
    };
    await removeAll();
    expect(await oldPhone.register()).toBe(1);
    await midwife.sendText(phoneUser.id, 'to the old phone');
    await removeAll();
    const newPhone = new SecureMessagingClient(phoneApi, phoneUser.id, SecureMessagingClient.memoryStores(IdentityKeyPair.generate(), 4243));
    expect(await newPhone.register()).toBe(1);
    const refused = await midwife.sendText(phoneUser.id, 'to whoever holds the phone now').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(LibSignalErrorBase);
    expect((refused as LibSignalErrorBase).code).toBe(ErrorCode.UntrustedIdentity);
  });
});
