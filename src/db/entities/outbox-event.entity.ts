import { defineEntity, p } from '@mikro-orm/core';

/**
 * Kinds of event written to the outbox: a status update was logged (subject: the update), an alert
 * was raised, paged, acknowledged or resolved (subject: the alert; see `src/alerting`).
 */
export const EVENT_TYPES = ['STATUS_UPDATE_LOGGED', 'ALERT_CHANGED'] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The transactional outbox: an event is written in the same transaction as the change it
 * announces, with the tenant's next cursor. The relay publishes unpublished rows to the bus and
 * stamps `publishedAt`; subscribers resuming from a cursor read the rows themselves. The payload
 * carries ids only, never PHI, because it crosses Redis.
 */
export const OutboxEventEntity = defineEntity({
  name: 'OutboxEvent',
  tableName: 'outbox_event',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    tenantId: p.uuid(),
    seq: p.bigint('number'),
    type: p.enum(() => [...EVENT_TYPES]).columnType('text'),
    patientId: p.uuid(),
    subjectId: p.uuid(),
    kind: p.string().length(40),
    createdAt: p.datetime().onCreate(() => new Date()),
    publishedAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['tenantId', 'seq'] }],
  indexes: [{ properties: ['publishedAt', 'id'] }],
});

/** An outbox row. */
export class OutboxEvent extends OutboxEventEntity.class {}
OutboxEventEntity.setClass(OutboxEvent);
