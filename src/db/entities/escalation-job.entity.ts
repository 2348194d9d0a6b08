import { defineEntity, p } from '@mikro-orm/core';

/**
 * A durable escalation timer: page step `stepIndex` of the alert's chain at `dueAt` unless the alert
 * was acknowledged or resolved first. Taken with `FOR UPDATE SKIP LOCKED`, so with several instances
 * each job fires once; `doneAt` is stamped in the same transaction as the page (or the cancellation,
 * with `cancelled` true).
 */
export const EscalationJobEntity = defineEntity({
  name: 'EscalationJob',
  tableName: 'escalation_job',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    alertId: p.uuid(),
    stepIndex: p.integer(),
    dueAt: p.datetime(),
    doneAt: p.datetime().nullable(),
    cancelled: p.boolean().default(false),
  },
});

/** An escalation-job row. */
export class EscalationJob extends EscalationJobEntity.class {}
EscalationJobEntity.setClass(EscalationJob);
