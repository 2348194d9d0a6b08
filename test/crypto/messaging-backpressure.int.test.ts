import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, generateRegistration } from '../../src/crypto/client/device-keys.js';
import { SecureMessagingClient } from '../../src/crypto/client/secure-messaging-client.js';
import { RawWebSocket } from '../helpers/raw-ws.js';
import { collect, gqlOk, wsClient } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { careSetting, waitForMailboxSubscriptions, type CareSetting } from './messaging-fixtures.js';

/** Each envelope's body selected 40 times over, so a stalled reader's kernel buffers fill quickly. */
const HEAVY_INBOX = `subscription { inbox(deviceId: 1) { id ${Array.from({ length: 40 }, (_, i) => `b${i}: body`).join(' ')} } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { envelopes } }`;
const REGISTER = `mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId } }`;
const ENVELOPES = 120;

describe('a stalled inbox reader', () => {
  let ts: TestServer;
  let care: CareSetting;

  beforeAll(async () => {
    ts = await startTestServer({
      env: {
        CRADLE_LIVE_BUFFER_EVENTS: '10',
        CRADLE_LIVE_MAX_LAG_MS: '1000',
        CRADLE_MAX_ALIASES: '50',
        // The flood below (120 envelopes of 16 KiB at once) is meant to fill a stalled reader's
        // buffers, past the default send rate (1 MiB a minute); that rate is tested in messaging-limits.
        CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: String(4 * 1024 * 1024),
      },
    });
    care = await careSetting(ts);
    for (const user of [care.patientUser, care.midwife]) {
      const { identity, registrationId } = generateIdentity();
      const input = await generateRegistration(SecureMessagingClient.memoryStores(identity, registrationId), { signedPreKeyId: 1, kyberLastResortId: 2 }, Date.now());
      await gqlOk(ts.url, REGISTER, { input }, user.token);
    }
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('is cut off with close code 4413 while its envelopes stay pending, then gets all of them, paced to its small queue, when it resubscribes', async () => {
    const slow = await RawWebSocket.open(ts.wsUrl, 'graphql-transport-ws');
    slow.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${care.patientUser.token}` } }));
    await slow.message((m) => m.includes('"connection_ack"'));
    slow.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: HEAVY_INBOX } }));
    await waitForMailboxSubscriptions(ts, 1);
    slow.stopReading();
    const body = Buffer.alloc(16 * 1024, 7).toString('base64');
    const send = () => gqlOk(ts.url, SEND, { input: { senderDeviceId: 1, messages: [{ recipientUserId: care.patientUser.id, recipientDeviceId: 1, type: 2, body }] } }, care.midwife.token);
    for (let i = 0; i < ENVELOPES; i += 10) await Promise.all(Array.from({ length: 10 }, send));
    await expect.poll(() => ts.server.services.messaging.subscriptionCount, { timeout: 30_000 }).toBe(0);
    slow.resumeReading();
    expect(await slow.closed(20_000)).toBe(4413);
    slow.destroy();

    const client = wsClient(ts.wsUrl, care.patientUser.token);
    try {
      const resumed = collect<{ inbox: { id: string } }>(client, `subscription { inbox(deviceId: 1) { id } }`);
      await resumed.waitFor(ENVELOPES, 20_000);
      expect(new Set(resumed.received.map((r) => r.inbox.id)).size).toBe(ENVELOPES);
    } finally {
      await client.dispose();
    }
  }, 120_000);
});
