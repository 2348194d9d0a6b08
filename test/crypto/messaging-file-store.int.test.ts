import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStores } from '../../src/crypto/client/file-record-storage.js';
import { GraphQLMessagingApi } from '../../src/crypto/client/messaging-api.js';
import { SecureMessagingClient, type Envelope } from '../../src/crypto/client/secure-messaging-client.js';
import { collect, gqlOk, wsClient } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, kitFor, listen, pendingFor, waitForMailboxSubscriptions, type CareSetting } from './messaging-fixtures.js';

const INBOX = `subscription($d: Int!) { inbox(deviceId: $d) { id senderUserId senderDeviceId type body serverTimestamp } }`;

describe('a client kit on file-backed stores, across a restart of the client', () => {
  let ts: TestServer;
  let care: CareSetting;
  let root: string;
  const apis: GraphQLMessagingApi[] = [];

  beforeAll(async () => {
    ts = await startTestServer();
    care = await careSetting(ts);
    root = await mkdtemp(join(tmpdir(), 'cradle-phone-'));
  });
  afterAll(async () => {
    await Promise.allSettled(apis.map((api) => api.close()));
    await closeKits();
    await ts?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A new client object for the patient's phone, from what its directory holds (as a restarted app). */
  const phoneFromDisk = async () => {
    const api = new GraphQLMessagingApi(ts.url, ts.wsUrl, () => care.patientUser.token);
    apis.push(api);
    return { api, phone: await SecureMessagingClient.open(api, care.patientUser.id, await openFileStores(join(root, 'phone'))) };
  };
  const preKeyCount = async () =>
    (await gqlOk<{ preKeyCount: { preKeys: number; kyberPreKeys: number } }>(ts.url, `query { preKeyCount(deviceId: 1) { preKeys kyberPreKeys } }`, {}, care.patientUser.token)).preKeyCount;

  it('continues the same session after the client is made again from its directory: decrypts the next message, drops a redelivery, replies', async () => {
    const midwife = kitFor(ts, care.midwife);
    await midwife.register();
    const midwifeInbox = listen(midwife);

    const first = await phoneFromDisk();
    expect(first.phone.isRegistered).toBe(false);
    expect(await first.phone.register()).toBe(1);
    const phoneInbox = listen(first.phone);
    await waitForMailboxSubscriptions(ts, 4);
    await first.phone.sendText(care.midwife.id, 'before the restart');
    await midwifeInbox.waitFor(1);
    expect(midwifeInbox.items[0]).toMatchObject({ ok: true, message: { text: 'before the restart', type: 3 } });
    await midwife.sendText(care.patientUser.id, 'reply before the restart');
    await phoneInbox.waitFor(1);
    expect(phoneInbox.texts()).toEqual(['reply before the restart']);

    // The listener acknowledges after handing a message over: wait for that, or the raw inbox below
    // would first replay the reply (already decrypted, so a redelivery) instead of the new message.
    await expect.poll(() => pendingFor(ts, care.patientUser.id, 1), { timeout: 10_000 }).toBe(0);
    // A message the phone decrypts but has not acknowledged when the app stops.
    const raw = wsClient(ts.wsUrl, care.patientUser.token);
    let unacked: Envelope;
    try {
      phoneInbox.stop();
      const live = collect<{ inbox: Envelope }>(raw, INBOX, { d: 1 });
      await midwife.sendText(care.patientUser.id, 'decrypted, not acknowledged');
      unacked = (await live.waitFor(1))[0]!.inbox;
      expect((await first.phone.decrypt(unacked))?.text).toBe('decrypted, not acknowledged');
      live.stop();
    } finally {
      await raw.dispose();
    }
    const identityBefore = (await first.phone.stores.identity.getIdentityKeyPair()).publicKey;
    await first.api.close();
    const keysBefore = await preKeyCount();

    const second = await phoneFromDisk();
    expect(second.phone).not.toBe(first.phone);
    expect(second.phone.isRegistered).toBe(true);
    expect(second.phone.deviceId).toBe(1);
    expect((await second.phone.stores.identity.getIdentityKeyPair()).publicKey.equals(identityBefore)).toBe(true);
    expect(await second.phone.decrypt(unacked)).toBeNull();
    expect(await second.phone.ack([unacked.id])).toBe(1);

    const afterRestart = listen(second.phone);
    await waitForMailboxSubscriptions(ts, 4);
    await midwife.sendText(care.patientUser.id, 'after the restart');
    await afterRestart.waitFor(1);
    expect(afterRestart.items).toMatchObject([{ ok: true, message: { text: 'after the restart', type: 2, senderUserId: care.midwife.id } }]);

    await second.phone.sendText(care.midwife.id, 'reply after the restart');
    await midwifeInbox.waitFor(2);
    // Whisper (type 2) both ways: the old session, no new bundle claimed, no prekey id reused.
    expect(midwifeInbox.items[1]).toMatchObject({ ok: true, message: { text: 'reply after the restart', type: 2, senderUserId: care.patientUser.id } });
    expect(await preKeyCount()).toEqual(keysBefore);
    expect([...midwifeInbox.errors, ...afterRestart.errors]).toEqual([]);
    await second.phone.replenishPreKeys(5);
    expect((await preKeyCount()).preKeys).toBe(keysBefore.preKeys + 5);
    expect(await second.phone.stores.preKeys.count()).toBe(keysBefore.preKeys + 5);
    afterRestart.stop();
    midwifeInbox.stop();
  });
});
