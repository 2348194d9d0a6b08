import { defineEntity, p } from '@mikro-orm/core';

/**
 * A user's messaging device in the Signal key directory: its registration id, identity key, current
 * signed prekey and Kyber last-resort prekey (public halves and signatures only; the private keys
 * never leave the device). `deviceId` (1–127) is unique per user. `nextEnvelopeSeq` numbers the
 * envelopes addressed to it, under this row's lock, so sequence order is commit order per device.
 */
export const MessagingDeviceEntity = defineEntity({
  name: 'MessagingDevice',
  tableName: 'messaging_device',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    userId: p.uuid(),
    deviceId: p.smallint(),
    registrationId: p.integer(),
    identityKey: p.blob(),
    signedPreKeyId: p.integer(),
    signedPreKey: p.blob(),
    signedPreKeySignature: p.blob(),
    kyberLastResortId: p.integer(),
    kyberLastResortKey: p.blob(),
    kyberLastResortSignature: p.blob(),
    nextEnvelopeSeq: p.bigint('number'),
    createdAt: p.datetime(),
  },
});

/** A messaging-device row. Never exposed through GraphQL as such (see `schema/messaging`). */
export class MessagingDevice extends MessagingDeviceEntity.class {}
MessagingDeviceEntity.setClass(MessagingDevice);
