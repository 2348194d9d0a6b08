import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedJsonType } from '../../crypto/encrypted-types.js';

/** What a patient (or her clinician on her behalf) can log. */
export const STATUS_KINDS = ['MOOD', 'FEEDING', 'SLEEP', 'VITALS', 'INFANT_VITALS', 'SYMPTOMS', 'SCREENING'] as const;

/** One of {@link STATUS_KINDS}. */
export type StatusKind = (typeof STATUS_KINDS)[number];

/**
 * Why a status update was deleted (the codes the tombstone audit record carries; never free text).
 * ENTERED_IN_ERROR: a wrong value; WRONG_PATIENT: logged on another mother's record; DUPLICATE:
 * logged twice; PATIENT_REQUEST: the patient withdrew her own entry.
 */
export const STATUS_UPDATE_DELETION_REASONS = ['ENTERED_IN_ERROR', 'WRONG_PATIENT', 'DUPLICATE', 'PATIENT_REQUEST'] as const;
/** One of {@link STATUS_UPDATE_DELETION_REASONS}. */
export type StatusUpdateDeletionReason = (typeof STATUS_UPDATE_DELETION_REASONS)[number];

/** The name of the default filter that hides soft-deleted status updates from every ORM read. */
export const LIVE_STATUS_UPDATES = 'liveStatusUpdates';

/**
 * One logged observation. `data` holds the kind's validated, typed payload (for a screening, the
 * server's scoring). `seq` is the tenant event cursor of its outbox event. The observation itself
 * is never updated; deletion is soft: `deletedAt`, `deletedBy` and `deletionReason` are set once,
 * together, and the row stays for the retention period (`src/status/clinical-retention.ts`).
 * The default filter {@link LIVE_STATUS_UPDATES} hides deleted rows from every `em.find` (queries,
 * nested fields, live replay, alert evidence, protocol facts, research); only deletion and
 * retention turn it off.
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
    /** When it was soft-deleted; null while it is part of the record. */
    deletedAt: p.datetime().nullable(),
    deletedBy: p.uuid().nullable(),
    deletionReason: p.enum(() => [...STATUS_UPDATE_DELETION_REASONS]).columnType('text').nullable(),
  },
  indexes: [{ properties: ['tenantId', 'patientId', 'seq'] }],
  filters: { [LIVE_STATUS_UPDATES]: { name: LIVE_STATUS_UPDATES, cond: { deletedAt: null }, default: true } },
});

/** A status update row. */
export class StatusUpdate extends StatusUpdateEntity.class {}
StatusUpdateEntity.setClass(StatusUpdate);
