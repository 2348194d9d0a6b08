import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureMessagingClient } from '../../src/crypto/client/secure-messaging-client.js';
import type { Envelope } from '../../src/crypto/client/secure-messaging-client.js';
import { collect, errorOf, gql, gqlOk, wsClient } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, disconnect, kitFor, listen, pendingFor, reconnectTo, waitForMailboxSubscriptions, type CareSetting, type Inbox } from './messaging-fixtures.js';

const INBOX = `subscription($d: Int!, $since: ID) { inbox(deviceId: $d, since: $since) { id senderUserId senderDeviceId type body serverTimestamp } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { envelopes serverTimestamp } }`;

/** Every plaintext sent in this file; none may be found in the database or the logs. */
const sent: string[] = [];
const secret = (label: string) => {
  const text = `${label}: ${crypto.randomUUID()} I have not slept and I feel like a bad mother`;
  sent.push(text);
  return text;
};

describe('secure messaging between a patient and her care team', () => {
  let ts: TestServer;
  let care: CareSetting;
  let phone: SecureMessagingClient;
  let tablet: SecureMessagingClient;
  let midwife: SecureMessagingClient;
  let phoneInbox: Inbox;
  let tabletInbox: Inbox;
  let midwifeInbox: Inbox;
  const extraServers: TestServer[] = [];

  beforeAll(async () => {
    ts = await startTestServer();
    care = await careSetting(ts);
    phone = kitFor(ts, care.patientUser);
    tablet = kitFor(ts, care.patientUser);
    midwife = kitFor(ts, care.midwife);
    expect([await phone.register(), await tablet.register(), await midwife.register()]).toEqual([1, 2, 1]);
  });
  afterAll(async () => {
    await closeKits();
    for (const server of extraServers) await server.close().catch(() => undefined);
    await ts?.close();
  });

  const pendingEnvelopes = async () => Number((await rawSql(ts, `select count(*) as "n" from "messaging_envelope"`))[0]!['n']);

  it('exchanges messages both ways, live: PreKey messages first, then Whisper, with a copy for each device', async () => {
    phoneInbox = listen(phone);
    tabletInbox = listen(tablet);
    midwifeInbox = listen(midwife);
    await waitForMailboxSubscriptions(ts, 6);

    const first = secret('first');
    expect(await phone.sendText(care.midwife.id, first)).toMatchObject({ envelopes: 2 });
    const [atMidwife] = await midwifeInbox.waitFor(1);
    const [atTablet] = await tabletInbox.waitFor(1);
    expect(atMidwife).toMatchObject({ ok: true, message: { text: first, type: 3, senderUserId: care.patientUser.id, senderDeviceId: 1 } });
    expect(atTablet).toMatchObject({ ok: true, message: { text: first, type: 3, senderDeviceId: 1 } });

    const reply = secret('reply');
    expect(await midwife.sendText(care.patientUser.id, reply)).toMatchObject({ envelopes: 2 });
    const [atPhone] = await phoneInbox.waitFor(1);
    await tabletInbox.waitFor(2);
    expect(atPhone).toMatchObject({ ok: true, message: { text: reply, type: 2, senderUserId: care.midwife.id } });
    expect(tabletInbox.items[1]).toMatchObject({ ok: true, message: { text: reply, type: 3 } });

    const again = secret('again');
    await phone.sendText(care.midwife.id, again);
    await midwifeInbox.waitFor(2);
    await tabletInbox.waitFor(3);
    expect(midwifeInbox.items[1]).toMatchObject({ ok: true, message: { text: again, type: 2 } });
    expect(midwifeInbox.texts()).toEqual([first, again]);
    expect(phoneInbox.texts()).toEqual([reply]);
    expect(tabletInbox.texts()).toEqual([first, reply, again]);
    await expect.poll(pendingEnvelopes, { timeout: 10_000 }).toBe(0);
  });

  it('records each send in the audit trail with sender, recipients, counts and sizes, and no content', async () => {
    const rows = await rawSql(
      ts,
      `select "actor_id", "patient_id", "outcome", "details" from "audit_event" where "action" = 'MESSAGE_SENT' order by "seq"`,
    );
    expect(rows).toHaveLength(3);
    const details = rows.map((r) => (typeof r['details'] === 'string' ? JSON.parse(r['details'] as string) : r['details']) as Record<string, unknown>);
    expect(rows.map((r) => r['actor_id'])).toEqual([care.patientUser.id, care.midwife.id, care.patientUser.id]);
    expect(details[0]).toMatchObject({ senderDeviceId: 1, recipientUserIds: care.midwife.id, recipientUsers: 1, ownDeviceCopies: 1, envelopes: 2, devices: 2 });
    expect(details[1]).toMatchObject({ senderDeviceId: 1, recipientUserIds: care.patientUser.id, recipientUsers: 1, ownDeviceCopies: 0, envelopes: 2, devices: 2 });
    for (const d of details) expect(Number(d['totalBytes'])).toBeGreaterThan(Number(d['largestBytes']));
    expect(rows.every((r) => r['patient_id'] === null && r['outcome'] === 'ALLOWED')).toBe(true);
  });

  it('delivers what an offline device missed when it reconnects with since, to a restarted instance', async () => {
    const replica = await startTestServer({ shareWith: ts });
    extraServers.push(replica);
    tabletInbox.stop();
    await disconnect(tablet);
    reconnectTo(tablet, replica, care.patientUser);
    const before = listen(tablet);
    const seen = secret('seen');
    await midwife.sendText(care.patientUser.id, seen);
    await before.waitFor(1);
    const lastId = before.items[0]!.ok ? before.items[0]!.message.envelopeId : '';
    before.stop();
    await disconnect(tablet);
    await replica.close();

    const missed = [secret('missed one'), secret('missed two')];
    for (const text of missed) await midwife.sendText(care.patientUser.id, text);
    const restarted = await startTestServer({ shareWith: ts });
    extraServers.push(restarted);
    reconnectTo(tablet, restarted, care.patientUser);
    tabletInbox = listen(tablet, { since: lastId });
    await tabletInbox.waitFor(2);
    expect(tabletInbox.texts()).toEqual(missed);
    // The midwife keeps sending PreKey messages to the tablet until the tablet answers (as Signal does).
    expect(tabletInbox.items.map((i) => i.ok && i.message.senderUserId)).toEqual([care.midwife.id, care.midwife.id]);
    await phoneInbox.waitFor(4);
  });

  it('redelivers an unacknowledged envelope on the next subscription, the kit drops the duplicate, and an ack deletes it', async () => {
    const raw = wsClient(ts.wsUrl, care.patientUser.token);
    try {
      phoneInbox.stop();
      // What the listener handed over is acknowledged just after: wait, so the raw inbox starts empty.
      await expect.poll(() => pendingFor(ts, care.patientUser.id, 1), { timeout: 10_000 }).toBe(0);
      const live = collect<{ inbox: Envelope }>(raw, INBOX, { d: 1 });
      const text = secret('unacked');
      await midwife.sendText(care.patientUser.id, text);
      const [first] = await live.waitFor(1);
      expect((await phone.decrypt(first!.inbox))?.text).toBe(text);
      live.stop();
      const again = collect<{ inbox: Envelope }>(raw, INBOX, { d: 1 });
      const [redelivered] = await again.waitFor(1);
      expect(redelivered!.inbox).toEqual(first!.inbox);
      expect(await phone.decrypt(redelivered!.inbox)).toBeNull();
      expect(await phone.ack([first!.inbox.id])).toBe(1);
      expect(await phone.ack([first!.inbox.id])).toBe(0);
      again.stop();
      const afterAck = collect<{ inbox: Envelope }>(raw, INBOX, { d: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(afterAck.received).toEqual([]);
      afterAck.stop();
    } finally {
      await raw.dispose();
    }
    phoneInbox = listen(phone);
  });

  it('fails to decrypt a tampered ciphertext on the client, and still decrypts the genuine one', async () => {
    const raw = wsClient(ts.wsUrl, care.midwife.token);
    try {
      midwifeInbox.stop();
      await expect.poll(() => pendingFor(ts, care.midwife.id, 1), { timeout: 10_000 }).toBe(0);
      const live = collect<{ inbox: Envelope }>(raw, INBOX, { d: 1 });
      const text = secret('tamper');
      await phone.sendText(care.midwife.id, text);
      const [{ inbox }] = (await live.waitFor(1)) as [{ inbox: Envelope }];
      const bytes = Buffer.from(inbox.body, 'base64');
      bytes[bytes.length - 12]! ^= 0x01;
      await expect(midwife.decrypt({ ...inbox, body: bytes.toString('base64') })).rejects.toThrow();
      expect((await midwife.decrypt(inbox))?.text).toBe(text);
      await midwife.ack([inbox.id]);
      live.stop();
    } finally {
      await raw.dispose();
    }
    midwifeInbox = listen(midwife);
  });

  it('rejects a send whose devices are missing, extra or stale, listing them per user, and stores nothing', async () => {
    const body = Buffer.from('not really ciphertext').toString('base64');
    // Counted by body: the kits go on acknowledging earlier messages in the background meanwhile.
    const stored = async () => Number((await rawSql(ts, `select count(*) as "n" from "messaging_envelope" where "body" = ?`, [Buffer.from(body, 'base64')]))[0]!['n']);
    const to = (deviceId: number, extra: Record<string, unknown> = {}) => ({ recipientUserId: care.patientUser.id, recipientDeviceId: deviceId, type: 2, body, ...extra });
    const missing = await gql(ts.url, SEND, { input: { senderDeviceId: 1, messages: [to(1)] } }, care.midwife.token);
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'DEVICE_MISMATCH',
      mismatches: [{ userId: care.patientUser.id, missingDevices: [2], extraDevices: [], staleDevices: [] }],
    });
    const extraAndStale = await gql(ts.url, SEND, { input: { senderDeviceId: 1, messages: [to(1, { recipientRegistrationId: 16383 }), to(2), to(9)] } }, care.midwife.token);
    expect(extraAndStale.errors?.[0]?.extensions?.['mismatches']).toEqual([{ userId: care.patientUser.id, missingDevices: [], extraDevices: [9], staleDevices: [1] }]);
    // The sender's own other devices must be included too (the phone sending without the tablet).
    const ownMissing = await gql(ts.url, SEND, { input: { senderDeviceId: 1, messages: [{ ...to(1), recipientUserId: care.midwife.id }] } }, care.patientUser.token);
    expect(ownMissing.errors?.[0]?.extensions?.['mismatches']).toEqual([{ userId: care.patientUser.id, missingDevices: [2], extraDevices: [], staleDevices: [] }]);
    expect(await stored()).toBe(0);
  });

  it('refuses bad envelopes with the field at fault: bad base64, too large, unknown type, device id out of range', async () => {
    const body = Buffer.from('x').toString('base64');
    const send = (message: Record<string, unknown>) =>
      gql(ts.url, SEND, { input: { senderDeviceId: 1, messages: [{ recipientUserId: care.patientUser.id, recipientDeviceId: 1, type: 2, body, ...message }] } }, care.midwife.token);
    expect(errorOf(await send({ body: '%%%' }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.messages[0].body' });
    expect(errorOf(await send({ body: Buffer.alloc(64 * 1024 + 1).toString('base64') }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.messages[0].body' });
    expect(errorOf(await send({ type: 1 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.messages[0].type' });
    expect(errorOf(await send({ recipientDeviceId: 0 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.messages[0].recipientDeviceId' });
  });

  it('answers NOT_FOUND to a user outside the care team, for sending and for another device’s inbox', async () => {
    const outsider = kitFor(ts, care.outsider);
    await outsider.register();
    await expect(outsider.sendText(care.patientUser.id, secret('outsider'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const body = Buffer.from('x').toString('base64');
    const direct = await gql(
      ts.url, SEND, { input: { senderDeviceId: 1, messages: [{ recipientUserId: care.patientUser.id, recipientDeviceId: 1, type: 2, body }, { recipientUserId: care.patientUser.id, recipientDeviceId: 2, type: 2, body }] } }, care.outsider.token,
    );
    expect(errorOf(direct)).toEqual({ code: 'NOT_FOUND', field: 'input.messages[0].recipientUserId' });
    const raw = wsClient(ts.wsUrl, care.outsider.token);
    try {
      const other = collect(raw, INBOX, { d: 2 });
      await expect.poll(() => other.errors.length).toBe(1);
      const error = other.errors[0] as { extensions?: { code?: string } } | Array<{ extensions?: { code?: string } }>;
      expect((Array.isArray(error) ? error[0] : error)?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await raw.dispose();
    }
  });

  it('stops messaging between the patient and a clinician removed from her care team', async () => {
    await gqlOk(
      ts.url,
      `mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }`,
      { p: care.patient.id, u: care.midwife.id },
      care.coordinator.token,
    );
    await expect(phone.sendText(care.midwife.id, secret('after removal'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(midwife.sendText(care.patientUser.id, secret('after removal, reply'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('never lets a plaintext reach the server: no table and no log line holds any message sent', async () => {
    expect(sent.length).toBeGreaterThan(8);
    const tables = await rawSql(ts, `select "table_name" from "information_schema"."tables" where "table_schema" = 'public' and "table_type" = 'BASE TABLE'`);
    expect(tables.map((t) => t['table_name'])).toContain('messaging_envelope');
    const needles = sent.flatMap((text) => {
      const bytes = Buffer.from(text, 'utf8');
      return [text, bytes.toString('hex'), bytes.toString('base64'), text.split(': ')[1]!];
    });
    let rowsScanned = 0;
    for (const { table_name: table } of tables as Array<{ table_name: string }>) {
      const rows = await rawSql(ts, `select row_to_json(t)::text as "row" from "${table}" t`);
      rowsScanned += rows.length;
      for (const { row } of rows as Array<{ row: string }>) for (const needle of needles) expect(row.includes(needle), `${table} holds a plaintext`).toBe(false);
    }
    expect(rowsScanned).toBeGreaterThan(20);
    const logs = [...ts.logs, ...extraServers.flatMap((s) => s.logs)].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const needle of needles) expect(logs.includes(needle)).toBe(false);
  });
});
