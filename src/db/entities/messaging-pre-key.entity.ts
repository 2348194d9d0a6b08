import { defineEntity, p } from '@mikro-orm/core';

/** A one-time EC prekey of a messaging device (public half); claimed, and so deleted, by one bundle fetch. */
export const MessagingPreKeyEntity = defineEntity({
  name: 'MessagingPreKey',
  tableName: 'messaging_pre_key',
  properties: {
    devicePk: p.uuid().primary(),
    keyId: p.integer().primary(),
    tenantId: p.uuid(),
    publicKey: p.blob(),
  },
});

/** A one-time EC prekey row. */
export class MessagingPreKey extends MessagingPreKeyEntity.class {}
MessagingPreKeyEntity.setClass(MessagingPreKey);

/**
 * A one-time Kyber (ML-KEM) prekey of a messaging device, signed by its identity key; claimed, and
 * so deleted, by one bundle fetch. When none is left the device's last-resort key is served.
 */
export const MessagingKyberPreKeyEntity = defineEntity({
  name: 'MessagingKyberPreKey',
  tableName: 'messaging_kyber_pre_key',
  properties: {
    devicePk: p.uuid().primary(),
    keyId: p.integer().primary(),
    tenantId: p.uuid(),
    publicKey: p.blob(),
    signature: p.blob(),
  },
});

/** A one-time Kyber prekey row. */
export class MessagingKyberPreKey extends MessagingKyberPreKeyEntity.class {}
MessagingKyberPreKeyEntity.setClass(MessagingKyberPreKey);
