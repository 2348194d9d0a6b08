import { defineEntity, p } from '@mikro-orm/core';

/** A status update that made an alert's protocol match (the first match and every repeated one). */
export const AlertEvidenceEntity = defineEntity({
  name: 'AlertEvidence',
  tableName: 'alert_evidence',
  properties: {
    tenantId: p.uuid(),
    alertId: p.uuid().primary(),
    statusUpdateId: p.uuid().primary(),
    addedAt: p.datetime(),
  },
});

/** An alert-evidence row. */
export class AlertEvidence extends AlertEvidenceEntity.class {}
AlertEvidenceEntity.setClass(AlertEvidence);
