import { defineEntity, p } from '@mikro-orm/core';

/**
 * How far the protocol evaluation worker got in one tenant's event stream: every outbox event with
 * `seq <= lastSeq` has been evaluated. Advanced in the same transaction as the alerts an event
 * raised, and locked with `FOR UPDATE SKIP LOCKED` so one instance at a time evaluates a tenant
 * (each event exactly once, in cursor order).
 */
export const AlertingCursorEntity = defineEntity({
  name: 'AlertingCursor',
  tableName: 'alerting_cursor',
  properties: {
    tenantId: p.uuid().primary(),
    lastSeq: p.bigint('number'),
  },
});

/** An alerting-cursor row. */
export class AlertingCursor extends AlertingCursorEntity.class {}
AlertingCursorEntity.setClass(AlertingCursor);

/**
 * The durable schedule of a SCHEDULED protocol (missed check-in…): the worker evaluates it for every
 * patient of the tenant when `dueAt` passes, then moves `dueAt` on, in one transaction.
 */
export const ProtocolScheduleEntity = defineEntity({
  name: 'ProtocolSchedule',
  tableName: 'protocol_schedule',
  properties: {
    protocolId: p.uuid().primary(),
    tenantId: p.uuid(),
    dueAt: p.datetime(),
  },
});

/** A protocol-schedule row. */
export class ProtocolSchedule extends ProtocolScheduleEntity.class {}
ProtocolScheduleEntity.setClass(ProtocolSchedule);
