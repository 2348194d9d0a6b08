import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedJsonType } from '../../crypto/encrypted-types.js';

/** What a patient (or her clinician on her behalf) can log. */
export const STATUS_KINDS = ['MOOD', 'FEEDING', 'SLEEP', 'VITALS', 'INFANT_VITALS', 'SYMPTOMS', 'SCREENING'] as const;

/** One of {@link STATUS_KINDS}. */
export type StatusKind = (typeof STATUS_KINDS)[number];

/**
 * One logged observation. `data` holds the kind's validated, typed payload (for a screening, the
 * server's scoring). Rows are never updated. `seq` is the tenant event cursor of its outbox event.
 */
export const StatusUpdateEntity = defineEntity({
  name: 'StatusUpdate',
  tableName: 'status_update',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    patientId: p.uuid(),
    infantId: p.uuid().nullable(),
    kind: p.enum(() => [...STATUS_KINDS]).columnType('text'),
    recordedAt: p.datetime(),
    recordedBy: p.uuid(),
    /** Encrypted at rest as one JSON document; the entity holds the parsed object. */
    data: p.json<Record<string, unknown>>().type(EncryptedJsonType),
    seq: p.bigint('number'),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ properties: ['tenantId', 'patientId', 'seq'] }],
});

/** A status update row. */
export class StatusUpdate extends StatusUpdateEntity.class {}
StatusUpdateEntity.setClass(StatusUpdate);
