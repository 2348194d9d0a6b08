import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/** The life of a protocol version: drafted, active (exactly one per protocol), retired. */
export const PROTOCOL_VERSION_STATUSES = ['DRAFT', 'ACTIVE', 'RETIRED'] as const;
/** One of {@link PROTOCOL_VERSION_STATUSES}. */
export type ProtocolVersionStatus = (typeof PROTOCOL_VERSION_STATUSES)[number];

/**
 * One immutable version of a protocol: its whole definition (a `ProtocolDefinition` of
 * `src/protocols/protocol.ts`, as JSON), the parameter values of a built-in, who wrote it and why,
 * and the guideline it follows. Only `status` ever changes (activation, retirement). Alerts keep
 * the version that fired them.
 */
export const ProtocolVersionEntity = defineEntity({
  name: 'ProtocolVersion',
  tableName: 'protocol_version',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    protocolId: p.uuid(),
    /** 1, 2, 3… per protocol. */
    number: p.integer(),
    status: p.enum(() => [...PROTOCOL_VERSION_STATUSES]).columnType('text'),
    definition: p.json<Record<string, unknown>>(),
    /** Built-ins only: the parameter values the definition was built from. */
    parameters: p.json<Record<string, number>>().nullable(),
    /** Null for versions installed by the system (the built-in baseline). */
    authorId: p.uuid().nullable(),
    /** The author's free text (up to 2000 characters); encrypted at rest (`crypto/encrypted-fields.ts`). */
    changeNote: p.string().type(EncryptedTextType),
    guideline: p.string().length(500).nullable(),
    createdAt: p.datetime(),
  },
  uniques: [{ properties: ['protocolId', 'number'] }],
});

/** A protocol version row. */
export class ProtocolVersion extends ProtocolVersionEntity.class {}
ProtocolVersionEntity.setClass(ProtocolVersion);
