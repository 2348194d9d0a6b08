import { defineEntity, p } from '@mikro-orm/core';

/**
 * One ciphertext envelope waiting for one recipient device: deleted when that device acknowledges
 * it, or when it outlives the retention period. `body` is Signal ciphertext (type 2 Whisper,
 * 3 PreKey); the server cannot read it.
 */
export const MessagingEnvelopeEntity = defineEntity({
  name: 'MessagingEnvelope',
  tableName: 'messaging_envelope',
  properties: {
    devicePk: p.uuid().primary(),
    seq: p.bigint('number').primary(),
    tenantId: p.uuid(),
    senderUserId: p.uuid(),
    senderDeviceId: p.smallint(),
    type: p.smallint(),
    body: p.blob(),
    serverTimestamp: p.datetime(),
  },
});

/** An envelope row. */
export class MessagingEnvelope extends MessagingEnvelopeEntity.class {}
MessagingEnvelopeEntity.setClass(MessagingEnvelope);
