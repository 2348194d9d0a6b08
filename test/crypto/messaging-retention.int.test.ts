import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/crypto/client/secure-messaging-client.js';
import { signIn } from '../helpers/builders.js';
import { collect, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, kitFor, waitForMailboxSubscriptions, type CareSetting } from './messaging-fixtures.js';

const INBOX = `subscription($d: Int!) { inbox(deviceId: $d) { id senderUserId senderDeviceId type body serverTimestamp } }`;
const DAY = 86_400_000;

describe('mailbox retention and device removal', () => {
  let ts: TestServer;
  let clock: { now: number };
  let care: CareSetting;

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(Date.now(), { env: { CRADLE_MESSAGING_RETENTION_DAYS: '30' } }));
    care = await careSetting(ts);
  });
  afterAll(async () => {
    await closeKits();
    await ts?.close();
  });

  const envelopesFor = async (userId: string) =>
    Number((await rawSql(ts, `select count(*) as "n" from "messaging_envelope" e join "messaging_device" d on d."id" = e."device_pk" where d."user_id" = ?`, [userId]))[0]!['n']);

  /** Moves the server clock; sessions do not survive that, so the users sign in again. */
  const advance = async (ms: number) => {
    clock.now += ms;
    for (const user of [care.patientUser, care.midwife, care.coordinator]) tokens.set(user.id, await signIn(ts.url, user.email));
  };
  const tokens = new Map<string, string>();
  const tokenOf = (user: { id: string; token: string }) => () => tokens.get(user.id) ?? user.token;

  it('stops delivering envelopes older than the retention and purges them on the server clock', async () => {
    const phone = kitFor(ts, care.patientUser, { token: tokenOf(care.patientUser) });
    const midwife = kitFor(ts, care.midwife, { token: tokenOf(care.midwife) });
    await phone.register();
    await midwife.register();
    await phone.sendText(care.midwife.id, 'an old message nobody fetched');
    await advance(29 * DAY);
    await phone.sendText(care.midwife.id, 'a recent message');
    await advance(2 * DAY);
    expect(await envelopesFor(care.midwife.id)).toBe(2);

    const raw = wsClient(ts.wsUrl, tokenOf(care.midwife)());
    try {
      const inbox = collect<{ inbox: Envelope }>(raw, INBOX, { d: midwife.deviceId });
      const [only] = await inbox.waitFor(1);
      await quietPeriod(300);
      expect(inbox.received).toHaveLength(1);
      expect((await midwife.decrypt(only!.inbox))?.text).toBe('a recent message');
      expect(new Date(only!.inbox.serverTimestamp).getTime()).toBe(clock.now - 2 * DAY);
    } finally {
      await raw.dispose();
    }
    expect(await ts.server.services.messaging.purgeExpired()).toBe(1);
    expect(await envelopesFor(care.midwife.id)).toBe(1);
    await advance(30 * DAY);
    expect(await ts.server.services.messaging.purgeExpired()).toBe(1);
    expect(await envelopesFor(care.midwife.id)).toBe(0);
  });

  it('deletes a removed device’s pending envelopes and ends its open inbox', async () => {
    const coordinator = kitFor(ts, care.coordinator, { token: tokenOf(care.coordinator) });
    await coordinator.register();
    const raw = wsClient(ts.wsUrl, tokenOf(care.coordinator)());
    try {
      const completed: boolean[] = [];
      const stop = raw.subscribe({ query: INBOX, variables: { d: coordinator.deviceId } }, { next: () => undefined, error: () => undefined, complete: () => completed.push(true) });
      await waitForMailboxSubscriptions(ts, 1);
      const phone = kitFor(ts, care.patientUser, { token: tokenOf(care.patientUser) });
      await phone.register();
      await phone.sendText(care.coordinator.id, 'for the coordinator');
      expect(await envelopesFor(care.coordinator.id)).toBe(1);
      await gqlOk(ts.url, `mutation($d: Int!) { removeDevice(deviceId: $d) }`, { d: coordinator.deviceId }, tokenOf(care.coordinator)());
      expect(await envelopesFor(care.coordinator.id)).toBe(0);
      await expect.poll(() => completed.length).toBe(1);
      stop();
    } finally {
      await raw.dispose();
    }
  });
});
