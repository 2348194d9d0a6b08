import { defineEntity, p } from '@mikro-orm/core';

/**
 * A care protocol of one tenant: a stable id whose definition lives in immutable
 * {@link ProtocolVersion}s. Built-in protocols carry the key of the library entry they were
 * installed from (`epds-self-harm`, …) and can be tightened but never disabled; custom ones have
 * `builtInKey` null. At most one row per tenant and built-in key.
 */
export const ProtocolEntity = defineEntity({
  name: 'Protocol',
  tableName: 'protocol',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    builtInKey: p.string().length(80).nullable(),
    enabled: p.boolean().default(true),
    /** The version evaluated now (ACTIVE); null only while a protocol is being created. */
    activeVersionId: p.uuid().nullable(),
    createdAt: p.datetime(),
    /** Null for built-ins installed by the system. */
    createdBy: p.uuid().nullable(),
  },
});

/** A protocol row. */
export class Protocol extends ProtocolEntity.class {}
ProtocolEntity.setClass(Protocol);
