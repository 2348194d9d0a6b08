import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../auth/patient-access.js';
import type { RequestContext } from '../../context.js';
import { BadInputError, ConflictError, NotFoundError, RateLimitedError } from '../../errors.js';
import { asDate } from '../../schema/common/dates.js';
import { EnvelopeView, SendResultView, type SendMessageInput } from '../../schema/messaging/envelope.type.js';
import { envelopeIdOf, parseEnvelopeId } from './envelope-id.js';
import { KeyDirectoryService } from './key-directory.service.js';
import { announceMailboxNews } from './mailbox-news.js';
import { auditMessageSent } from './messaging-audit.js';
import { chargeSend, firstOverMailboxQuota, MAILBOX_FULL_RETRY_SECONDS } from './messaging-limits.js';
import { mayMessage } from './messaging-peers.js';
import { checkDeviceId, checkInt, decodeBase64, ENVELOPE_TYPES, MAX_REGISTRATION_ID } from './signal-keys.js';
import { base64Of } from './sql.js';

/** Most envelopes in one `sendMessage` (every device of a few users). */
export const MAX_ENVELOPES_PER_SEND = 256;
/** Most ids in one `ackMessages`. */
export const MAX_ACK_IDS = 1000;

/** One envelope after validation. */
interface CheckedMessage {
  readonly recipientUserId: string;
  readonly recipientDeviceId: number;
  readonly recipientRegistrationId: number | null;
  readonly type: number;
  readonly body: Buffer;
}

/**
 * The mailbox: stores one opaque ciphertext envelope per recipient device, and deletes it when that
 * device acknowledges it or when it outlives the retention. `sendMessage` checks that the sender
 * may message each recipient, and that the request names exactly the current devices of every
 * recipient and the sender's other devices (Signal's 409/410), that the sender is within her send
 * rates and every recipient device within its mailbox quota (`messaging-limits.ts`), before storing
 * anything.
 */
export class MailboxService {
  constructor(private readonly ctx: RequestContext) {}

  async send(input: SendMessageInput): Promise<SendResultView> {
    const actor = this.ctx.access.requireActor();
    const limits = this.ctx.services.config.messaging;
    const sender = await new KeyDirectoryService(this.ctx).requireOwnDevice(input.senderDeviceId, 'input.senderDeviceId');
    if (input.messages.length === 0 || input.messages.length > MAX_ENVELOPES_PER_SEND) {
      throw BadInputError.field('input.messages', `input.messages must hold 1 to ${MAX_ENVELOPES_PER_SEND} envelopes.`);
    }
    let totalBytes = 0;
    const seen = new Set<string>();
    const messages: CheckedMessage[] = input.messages.map((m, i) => {
      const field = `input.messages[${i}]`;
      if (!isUuid(m.recipientUserId)) throw NotFoundError.user(`${field}.recipientUserId`);
      const recipientDeviceId = checkDeviceId(m.recipientDeviceId, `${field}.recipientDeviceId`);
      const recipientRegistrationId =
        m.recipientRegistrationId == null ? null : checkInt(m.recipientRegistrationId, 1, MAX_REGISTRATION_ID, `${field}.recipientRegistrationId`);
      if (!(ENVELOPE_TYPES as readonly number[]).includes(m.type)) throw BadInputError.field(`${field}.type`, `${field}.type must be 2 (Whisper) or 3 (PreKey).`);
      const body = decodeBase64(m.body, `${field}.body`, 'Signal ciphertext');
      if (body.length > limits.maxEnvelopeBytes) throw BadInputError.field(`${field}.body`, `${field}.body must be at most ${limits.maxEnvelopeBytes} bytes.`);
      totalBytes += body.length;
      const key = `${m.recipientUserId.toLowerCase()}/${recipientDeviceId}`;
      if (seen.has(key)) throw BadInputError.field(`${field}.recipientDeviceId`, `${field} names a device already named in this request.`);
      seen.add(key);
      return { recipientUserId: m.recipientUserId.toLowerCase(), recipientDeviceId, recipientRegistrationId, type: m.type, body };
    });
    if (totalBytes > limits.maxSendBytes) throw BadInputError.field('input.messages', `input.messages may carry at most ${limits.maxSendBytes} bytes in all.`);

    const recipients = [...new Set(messages.map((m) => m.recipientUserId))];
    for (const userId of recipients) {
      if (!(await mayMessage(this.ctx.em, actor.tenantId, actor.userId, userId))) {
        throw NotFoundError.user(`input.messages[${messages.findIndex((m) => m.recipientUserId === userId)}].recipientUserId`);
      }
    }
    await chargeSend(this.ctx, messages.length, totalBytes);
    const users = [...new Set([...recipients, actor.userId])];
    const serverTimestamp = new Date(this.ctx.services.now());
    const notBefore = new Date(serverTimestamp.getTime() - limits.retentionMs);
    const stored = await this.ctx.em.transactional(async (tx) => {
      // Locked in one order everywhere: concurrent sends to the same devices queue, never deadlock,
      // and each device's sequence numbers are handed out in commit order.
      const devices = await tx.execute<Array<{ id: string; user_id: string; device_id: number; registration_id: number }>>(
        `select "id", "user_id", "device_id", "registration_id" from "messaging_device"
         where "tenant_id" = ? and "user_id" in (?) order by "id" for update`,
        [actor.tenantId, users],
      );
      checkDeviceSets(users, devices, messages, sender.id);
      const byAddress = new Map(devices.map((d) => [`${d.user_id}/${Number(d.device_id)}`, d.id]));
      const queued = messages.map((m) => ({ devicePk: byAddress.get(`${m.recipientUserId}/${m.recipientDeviceId}`)!, bytes: m.body.length }));
      const full = await firstOverMailboxQuota(tx, limits, queued, notBefore);
      if (full >= 0) throw RateLimitedError.mailboxFull(`input.messages[${full}]`, MAILBOX_FULL_RETRY_SECONDS);
      const seqs = new Map<string, number[]>();
      for (const m of messages) {
        const devicePk = byAddress.get(`${m.recipientUserId}/${m.recipientDeviceId}`)!;
        const [row] = await tx.execute<Array<{ seq: string | number }>>(
          `update "messaging_device" set "next_envelope_seq" = "next_envelope_seq" + 1 where "id" = ? returning "next_envelope_seq" as "seq"`,
          [devicePk],
        );
        const seq = Number(row!.seq);
        await tx.execute(
          `insert into "messaging_envelope" ("device_pk", "seq", "tenant_id", "sender_user_id", "sender_device_id", "type", "body", "server_timestamp")
           values (?, ?, ?, ?, ?, ?, decode(?, 'base64'), ?)`,
          [devicePk, seq, actor.tenantId, actor.userId, Number(sender.device_id), m.type, m.body.toString('base64'), serverTimestamp],
        );
        seqs.set(devicePk, [...(seqs.get(devicePk) ?? []), seq]);
      }
      return seqs;
    });
    await announceMailboxNews(this.ctx.services.bus, this.ctx.logger, actor.tenantId, {
      type: 'ENVELOPES',
      devices: [...stored].map(([devicePk, list]) => ({ devicePk, seqs: list })),
    });
    await auditMessageSent(this.ctx, {
      senderDeviceId: Number(sender.device_id),
      recipientUserIds: recipients.filter((userId) => userId !== actor.userId),
      ownDeviceCopies: messages.filter((m) => m.recipientUserId === actor.userId).length,
      envelopes: messages.length,
      devices: stored.size,
      totalBytes,
      largestBytes: Math.max(...messages.map((m) => m.body.length)),
    });
    return new SendResultView(messages.length, serverTimestamp);
  }

  /**
   * Deletes envelopes the caller's device has processed. Only envelopes addressed to the caller's
   * own device (`deviceId`, or any of the caller's devices when omitted) are deleted; other ids are
   * ignored. Returns how many were deleted.
   */
  async ack(ids: readonly string[], deviceId: number | null): Promise<number> {
    const actor = this.ctx.access.requireActor();
    if (ids.length > MAX_ACK_IDS) throw BadInputError.field('ids', `ids may hold at most ${MAX_ACK_IDS} envelope ids.`);
    const keys = ids.map((id, i) => parseEnvelopeId(id, `ids[${i}]`));
    if (keys.length === 0) return 0;
    const device = deviceId === null ? null : await new KeyDirectoryService(this.ctx).requireOwnDevice(deviceId);
    const rows = await this.ctx.em.execute<Array<{ seq: number }>>(
      `delete from "messaging_envelope" e using "messaging_device" d
       where d."id" = e."device_pk" and d."tenant_id" = ? and d."user_id" = ? ${device ? 'and d."id" = ?' : ''}
         and (e."device_pk", e."seq") in (${keys.map(() => '(?::uuid, ?::bigint)').join(', ')})
       returning e."seq"`,
      [actor.tenantId, actor.userId, ...(device ? [device.id] : []), ...keys.flatMap((k) => [k.devicePk, k.seq])],
    );
    return rows.length;
  }
}

/**
 * Compares the devices a send names with each user's current devices (the sender's own minus the
 * sending device), and throws CONFLICT listing, per user, the missing, extra and stale devices.
 */
function checkDeviceSets(
  users: readonly string[],
  devices: ReadonlyArray<{ id: string; user_id: string; device_id: number; registration_id: number }>,
  messages: readonly CheckedMessage[],
  sendingDevicePk: string,
): void {
  const mismatches: Array<{ userId: string; missingDevices: number[]; extraDevices: number[]; staleDevices: number[] }> = [];
  for (const userId of users) {
    const current = new Map(devices.filter((d) => d.user_id === userId && d.id !== sendingDevicePk).map((d) => [Number(d.device_id), Number(d.registration_id)]));
    const named = messages.filter((m) => m.recipientUserId === userId);
    const namedIds = new Set(named.map((m) => m.recipientDeviceId));
    const missingDevices = [...current.keys()].filter((id) => !namedIds.has(id)).sort((a, b) => a - b);
    const extraDevices = [...namedIds].filter((id) => !current.has(id)).sort((a, b) => a - b);
    const staleDevices = named
      .filter((m) => current.has(m.recipientDeviceId) && m.recipientRegistrationId !== null && m.recipientRegistrationId !== current.get(m.recipientDeviceId))
      .map((m) => m.recipientDeviceId)
      .sort((a, b) => a - b);
    if (missingDevices.length + extraDevices.length + staleDevices.length > 0) mismatches.push({ userId, missingDevices, extraDevices, staleDevices });
  }
  if (mismatches.length > 0) throw ConflictError.deviceMismatch(mismatches);
}

/** A stored envelope row as the live inbox reads it. */
interface EnvelopeRow {
  readonly seq: string | number;
  readonly sender_user_id: string;
  readonly sender_device_id: number;
  readonly type: number;
  readonly body: string;
  readonly server_timestamp: Date | string;
}

/**
 * Loads a device's unexpired envelopes after `afterSeq`, oldest first, as API views. Used by the
 * live inbox for replay, catch-up and live delivery alike (with a system EntityManager).
 */
export async function loadEnvelopes(em: EntityManager, devicePk: string, afterSeq: number, notBefore: Date, limit: number): Promise<Array<{ seq: number; view: EnvelopeView }>> {
  const rows = await em.execute<EnvelopeRow[]>(
    `select "seq", "sender_user_id", "sender_device_id", "type", ${base64Of('"body"')} as "body", "server_timestamp"
     from "messaging_envelope" where "device_pk" = ? and "seq" > ? and "server_timestamp" >= ? order by "seq" limit ?`,
    [devicePk, afterSeq, notBefore, limit],
  );
  return rows.map((r) => {
    const seq = Number(r.seq);
    return {
      seq,
      view: new EnvelopeView({
        id: envelopeIdOf({ devicePk, seq }),
        senderUserId: r.sender_user_id,
        senderDeviceId: Number(r.sender_device_id),
        type: Number(r.type),
        body: r.body,
        serverTimestamp: asDate(r.server_timestamp),
      }),
    };
  });
}

/** Deletes envelopes stored before `notBefore` (the retention cut-off); returns how many. */
export async function purgeExpiredEnvelopes(em: EntityManager, notBefore: Date): Promise<number> {
  const rows = await em.execute<Array<{ seq: number }>>(`delete from "messaging_envelope" where "server_timestamp" < ? returning "seq"`, [notBefore]);
  return rows.length;
}
