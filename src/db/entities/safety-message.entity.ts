import { defineEntity, p } from '@mikro-orm/core';

/**
 * A templated safety message a protocol sent the patient (e.g. the crisis line after a self-harm
 * answer). Only the template key is stored: the text lives in the template. She reads her messages
 * with the `mySafetyMessages` query.
 */
export const SafetyMessageEntity = defineEntity({
  name: 'SafetyMessage',
  tableName: 'safety_message',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    patientId: p.uuid(),
    protocolId: p.uuid(),
    protocolVersionId: p.uuid(),
    alertId: p.uuid().nullable(),
    templateKey: p.string().length(60),
    sentAt: p.datetime(),
  },
});

/** A safety-message row. */
export class SafetyMessage extends SafetyMessageEntity.class {}
SafetyMessageEntity.setClass(SafetyMessage);
