import { PublicKey } from '@signalapp/libsignal-client';
import { isUuid } from '../../auth/patient-access.js';
import type { RequestContext } from '../../context.js';
import { BadInputError, ConflictError, NotFoundError } from '../../errors.js';
import { asDate } from '../../schema/common/dates.js';
import { PreKeyCountView, type RegisterDeviceInput } from '../../schema/messaging/device.type.js';
import { PreKeyBundleView, PreKeyView, SignedPreKeyView } from '../../schema/messaging/pre-key-bundle.type.js';
import { announceMailboxNews } from './mailbox-news.js';
import { chargePreKeyClaims } from './messaging-limits.js';
import { mayMessage } from './messaging-peers.js';
import {
  checkDeviceId, checkDistinctIds, checkEcPublicKey, checkInt, checkKyberPreKey, checkPreKey, checkSignedPreKey, MAX_DEVICE_ID, MAX_REGISTRATION_ID,
  type PreKeyUpload, type SignedPreKeyUpload,
} from './signal-keys.js';
import { base64Of, DEVICE_COLUMNS, type DeviceRow } from './sql.js';

/** Remaining one-time prekeys of a device. */
export interface PreKeyCounts {
  readonly deviceId: number;
  readonly preKeys: number;
  readonly kyberPreKeys: number;
}

/**
 * The Signal key directory: users register devices (identity key, signed prekey, Kyber last-resort
 * prekey, signatures verified here), upload one-time prekeys, and fetch each other's bundles. A
 * bundle fetch claims one one-time EC and one one-time Kyber key per device atomically: a
 * `DELETE … RETURNING` of a row picked `FOR UPDATE SKIP LOCKED`, so two concurrent fetches never
 * get the same key. Devices belong to users; only their owner manages them.
 */
export class KeyDirectoryService {
  constructor(private readonly ctx: RequestContext) {}

  private get config() {
    return this.ctx.services.config.messaging;
  }

  /** The caller's device with this id, or NOT_FOUND (another user's device looks the same). */
  async requireOwnDevice(deviceId: number, field = 'deviceId'): Promise<DeviceRow> {
    const actor = this.ctx.access.requireActor();
    checkDeviceId(deviceId, field);
    const rows = await this.ctx.em.execute<DeviceRow[]>(
      `select ${DEVICE_COLUMNS} from "messaging_device" where "tenant_id" = ? and "user_id" = ? and "device_id" = ?`,
      [actor.tenantId, actor.userId, deviceId],
    );
    if (!rows[0]) throw NotFoundError.messagingDevice(field);
    return rows[0];
  }

  /** The caller's devices, by device id. */
  async listOwn(): Promise<DeviceRow[]> {
    const actor = this.ctx.access.requireActor();
    return this.ctx.em.execute<DeviceRow[]>(
      `select ${DEVICE_COLUMNS} from "messaging_device" where "tenant_id" = ? and "user_id" = ? order by "device_id"`,
      [actor.tenantId, actor.userId],
    );
  }

  /**
   * Registers a device after checking every key and both signatures; the server assigns the lowest
   * free device id. CONFLICT when the user already has the configured maximum.
   */
  async register(input: RegisterDeviceInput): Promise<DeviceRow> {
    const actor = this.ctx.access.requireActor();
    const registrationId = checkInt(input.registrationId, 1, MAX_REGISTRATION_ID, 'input.registrationId');
    const identity = checkEcPublicKey(input.identityKey, 'input.identityKey');
    const signed = checkSignedPreKey(identity.key, input.signedPreKey, 'input.signedPreKey');
    const kyber = checkKyberPreKey(identity.key, input.kyberLastResortPreKey, 'input.kyberLastResortPreKey');
    const now = new Date(this.ctx.services.now());
    const max = this.config.maxDevicesPerUser;
    return this.ctx.em.transactional(async (tx) => {
      // The user's row lock serialises registrations of one user, so the limit holds under concurrency.
      await tx.execute(`select 1 from "app_user" where "id" = ? and "tenant_id" = ? for update`, [actor.userId, actor.tenantId]);
      const taken = await tx.execute<Array<{ device_id: number }>>(
        `select "device_id" from "messaging_device" where "user_id" = ? order by "device_id"`,
        [actor.userId],
      );
      if (taken.length >= max) throw ConflictError.deviceLimit(max);
      const used = new Set(taken.map((r) => Number(r.device_id)));
      let deviceId = 1;
      while (used.has(deviceId) && deviceId <= MAX_DEVICE_ID) deviceId += 1;
      const rows = await tx.execute<DeviceRow[]>(
        `insert into "messaging_device" ("id", "tenant_id", "user_id", "device_id", "registration_id", "identity_key",
           "signed_pre_key_id", "signed_pre_key", "signed_pre_key_signature",
           "kyber_last_resort_id", "kyber_last_resort_key", "kyber_last_resort_signature", "next_envelope_seq", "created_at")
         values (?, ?, ?, ?, ?, decode(?, 'base64'), ?, decode(?, 'base64'), decode(?, 'base64'), ?, decode(?, 'base64'), decode(?, 'base64'), 0, ?)
         returning ${DEVICE_COLUMNS}`,
        [
          crypto.randomUUID(), actor.tenantId, actor.userId, deviceId, registrationId, identity.bytes.toString('base64'),
          signed.id, signed.publicKey.toString('base64'), signed.signature.toString('base64'),
          kyber.id, kyber.publicKey.toString('base64'), kyber.signature.toString('base64'), now,
        ],
      );
      return rows[0]!;
    });
  }

  /**
   * Adds one-time prekeys to one of the caller's devices (an id already stored is replaced). Kyber
   * prekeys must be signed by the device's identity key. Nothing is stored if any key is bad.
   */
  async uploadPreKeys(deviceId: number, preKeys: readonly PreKeyUpload[], kyberPreKeys: readonly SignedPreKeyUpload[]): Promise<PreKeyCounts> {
    const max = this.config.maxPreKeysPerUpload;
    if (preKeys.length > max) throw BadInputError.field('preKeys', `preKeys may hold at most ${max} keys.`);
    if (kyberPreKeys.length > max) throw BadInputError.field('kyberPreKeys', `kyberPreKeys may hold at most ${max} keys.`);
    const device = await this.requireOwnDevice(deviceId);
    const [identity] = await this.ctx.em.execute<Array<{ identity_key: string }>>(
      `select ${base64Of('"identity_key"')} as "identity_key" from "messaging_device" where "id" = ?`,
      [device.id],
    );
    const identityKey = PublicKey.deserialize(new Uint8Array(Buffer.from(identity!.identity_key, 'base64')));
    const ec = preKeys.map((k, i) => checkPreKey(k, `preKeys[${i}]`));
    const kem = kyberPreKeys.map((k, i) => checkKyberPreKey(identityKey, k, `kyberPreKeys[${i}]`));
    checkDistinctIds(ec, 'preKeys');
    checkDistinctIds(kem, 'kyberPreKeys');
    await this.ctx.em.transactional(async (tx) => {
      if (ec.length > 0) {
        await tx.execute(
          `insert into "messaging_pre_key" ("device_pk", "tenant_id", "key_id", "public_key")
           values ${ec.map(() => `(?, ?, ?, decode(?, 'base64'))`).join(', ')}
           on conflict ("device_pk", "key_id") do update set "public_key" = excluded."public_key"`,
          ec.flatMap((k) => [device.id, device.tenant_id, k.id, k.publicKey.toString('base64')]),
        );
      }
      if (kem.length > 0) {
        await tx.execute(
          `insert into "messaging_kyber_pre_key" ("device_pk", "tenant_id", "key_id", "public_key", "signature")
           values ${kem.map(() => `(?, ?, ?, decode(?, 'base64'), decode(?, 'base64'))`).join(', ')}
           on conflict ("device_pk", "key_id") do update set "public_key" = excluded."public_key", "signature" = excluded."signature"`,
          kem.flatMap((k) => [device.id, device.tenant_id, k.id, k.publicKey.toString('base64'), k.signature.toString('base64')]),
        );
      }
    });
    return this.countsOf(device);
  }

  /** The remaining one-time prekeys of one of the caller's devices. */
  async preKeyCount(deviceId: number): Promise<PreKeyCountView> {
    const counts = await this.countsOf(await this.requireOwnDevice(deviceId));
    return new PreKeyCountView(counts, this.config.lowPreKeyThreshold);
  }

  /** Counts a device's one-time prekeys. */
  async countsOf(device: Pick<DeviceRow, 'id' | 'device_id'>): Promise<PreKeyCounts> {
    const [row] = await this.ctx.em.execute<Array<{ ec: string | number; kem: string | number }>>(
      `select (select count(*) from "messaging_pre_key" where "device_pk" = ?) as "ec",
              (select count(*) from "messaging_kyber_pre_key" where "device_pk" = ?) as "kem"`,
      [device.id, device.id],
    );
    return { deviceId: Number(device.device_id), preKeys: Number(row!.ec), kyberPreKeys: Number(row!.kem) };
  }

  /**
   * One bundle per device of `userId` (or of that one device), claiming a one-time EC and Kyber
   * prekey of each. Users the caller may not message look like users that do not exist (NOT_FOUND).
   * Claims are rate-limited per (caller, device) and per caller (RATE_LIMITED, nothing claimed).
   * A device left with fewer one-time keys than the threshold is told so on the bus.
   */
  async claimBundles(userId: string, deviceId: number | null): Promise<PreKeyBundleView[]> {
    const actor = this.ctx.access.requireActor();
    if (!isUuid(userId) || !(await mayMessage(this.ctx.em, actor.tenantId, actor.userId, userId))) throw NotFoundError.user('userId');
    if (deviceId !== null) checkDeviceId(deviceId, 'deviceId');
    const devices = await this.ctx.em.execute<Array<DeviceRow & BundleKeys>>(
      `select ${DEVICE_COLUMNS}, ${base64Of('"identity_key"')} as "identity_key", "signed_pre_key_id",
              ${base64Of('"signed_pre_key"')} as "signed_pre_key", ${base64Of('"signed_pre_key_signature"')} as "signed_pre_key_signature",
              "kyber_last_resort_id", ${base64Of('"kyber_last_resort_key"')} as "kyber_last_resort_key",
              ${base64Of('"kyber_last_resort_signature"')} as "kyber_last_resort_signature"
       from "messaging_device" where "tenant_id" = ? and "user_id" = ? ${deviceId !== null ? 'and "device_id" = ?' : ''} order by "device_id"`,
      deviceId !== null ? [actor.tenantId, userId, deviceId] : [actor.tenantId, userId],
    );
    if (deviceId !== null && devices.length === 0) throw NotFoundError.messagingDevice('deviceId');
    await chargePreKeyClaims(this.ctx, devices.map((d) => d.id));
    const bundles: PreKeyBundleView[] = [];
    for (const device of devices) {
      const [ec] = await this.ctx.em.execute<Array<{ key_id: number; public_key: string }>>(
        `delete from "messaging_pre_key" where ("device_pk", "key_id") in (
           select "device_pk", "key_id" from "messaging_pre_key" where "device_pk" = ? order by "key_id" limit 1 for update skip locked)
         returning "key_id", ${base64Of('"public_key"')} as "public_key"`,
        [device.id],
      );
      const [kem] = await this.ctx.em.execute<Array<{ key_id: number; public_key: string; signature: string }>>(
        `delete from "messaging_kyber_pre_key" where ("device_pk", "key_id") in (
           select "device_pk", "key_id" from "messaging_kyber_pre_key" where "device_pk" = ? order by "key_id" limit 1 for update skip locked)
         returning "key_id", ${base64Of('"public_key"')} as "public_key", ${base64Of('"signature"')} as "signature"`,
        [device.id],
      );
      bundles.push(
        new PreKeyBundleView({
          userId,
          deviceId: Number(device.device_id),
          registrationId: Number(device.registration_id),
          identityKey: device.identity_key,
          signedPreKey: new SignedPreKeyView(Number(device.signed_pre_key_id), device.signed_pre_key, device.signed_pre_key_signature),
          preKey: ec ? new PreKeyView(Number(ec.key_id), ec.public_key) : null,
          kyberPreKey: kem
            ? new SignedPreKeyView(Number(kem.key_id), kem.public_key, kem.signature)
            : new SignedPreKeyView(Number(device.kyber_last_resort_id), device.kyber_last_resort_key, device.kyber_last_resort_signature),
          kyberPreKeyIsLastResort: !kem,
        }),
      );
      const counts = await this.countsOf(device);
      const threshold = this.config.lowPreKeyThreshold;
      if (counts.preKeys < threshold || counts.kyberPreKeys < threshold) {
        await announceMailboxNews(this.ctx.services.bus, this.ctx.logger, device.tenant_id, { type: 'PREKEYS_LOW', devicePk: device.id });
      }
    }
    return bundles;
  }

  /** Removes one of the caller's devices with its prekeys and pending envelopes; its subscriptions end. */
  async remove(deviceId: number): Promise<boolean> {
    const device = await this.requireOwnDevice(deviceId);
    await this.ctx.em.transactional(async (tx) => {
      await tx.execute(`delete from "messaging_envelope" where "device_pk" = ?`, [device.id]);
      await tx.execute(`delete from "messaging_pre_key" where "device_pk" = ?`, [device.id]);
      await tx.execute(`delete from "messaging_kyber_pre_key" where "device_pk" = ?`, [device.id]);
      await tx.execute(`delete from "messaging_device" where "id" = ?`, [device.id]);
    });
    await announceMailboxNews(this.ctx.services.bus, this.ctx.logger, device.tenant_id, { type: 'DEVICE_REMOVED', devicePk: device.id });
    return true;
  }
}

/** The key columns a bundle needs, as base64. */
interface BundleKeys {
  readonly identity_key: string;
  readonly signed_pre_key_id: number;
  readonly signed_pre_key: string;
  readonly signed_pre_key_signature: string;
  readonly kyber_last_resort_id: number;
  readonly kyber_last_resort_key: string;
  readonly kyber_last_resort_signature: string;
}

/** A device row's creation time as a Date. */
export function deviceCreatedAt(row: DeviceRow): Date {
  return asDate(row.created_at);
}
