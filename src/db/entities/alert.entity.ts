import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/** Severities of an alert, least to most severe (as `src/protocols/protocol.ts` SEVERITIES). */
export const ALERT_SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'] as const;
/** Where an alert stands: open (paging), acknowledged (the chain stopped), resolved (closed with a note). */
export const ALERT_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;
/** One of {@link ALERT_STATUSES}. */
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/**
 * An alert raised by a protocol version for one patient. At most one not-resolved alert per
 * protocol and patient (a partial unique index): repeated matches add evidence to it. `categories`
 * are the data categories of every fact its condition read, the triggering update and the evidence
 * included (`src/protocols/condition-reads.ts`; they only grow as matches add evidence), so only
 * clinicians whose grant covers them all see it. `routeTo` are the care-team roles it is shown to; the escalation
 * chain's tiers add the ones paged. `resolutionNote` is clinical free text (PHI).
 */
export const AlertEntity = defineEntity({
  name: 'Alert',
  tableName: 'alert',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    patientId: p.uuid(),
    protocolId: p.uuid(),
    protocolVersionId: p.uuid(),
    severity: p.enum(() => [...ALERT_SEVERITIES]).columnType('text'),
    status: p.enum(() => [...ALERT_STATUSES]).columnType('text'),
    categories: p.array<string>(),
    routeTo: p.json<string[]>(),
    incompleteData: p.boolean().default(false),
    /** Index into the version's flattened escalation steps of the last tier paged; null before any page. */
    escalationStep: p.integer().nullable(),
    /** The tenant cursor of the event that opened it (for ordering and paging the `alerts` query). */
    openedSeq: p.bigint('number'),
    openedAt: p.datetime(),
    acknowledgedBy: p.uuid().nullable(),
    acknowledgedAt: p.datetime().nullable(),
    resolvedBy: p.uuid().nullable(),
    resolvedAt: p.datetime().nullable(),
    /** Encrypted at rest (`crypto/encrypted-fields.ts`). */
    resolutionNote: p.string().type(EncryptedTextType).nullable(),
  },
});

/** An alert row. */
export class Alert extends AlertEntity.class {}
AlertEntity.setClass(Alert);
