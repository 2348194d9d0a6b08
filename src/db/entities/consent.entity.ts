import { defineEntity, p } from '@mikro-orm/core';

/** Kinds of consent a patient can give (shared/API.md). */
export const CONSENT_TYPES = ['CARE_COORDINATION', 'DATA_SHARING', 'RESEARCH'] as const;

/** One of {@link CONSENT_TYPES}. */
export type ConsentType = (typeof CONSENT_TYPES)[number];

/**
 * A consent a patient gave, for some data categories, under a versioned consent text. Never
 * deleted: revocation stamps `revokedAt`, so the history is kept for the audit.
 */
export const ConsentEntity = defineEntity({
  name: 'Consent',
  tableName: 'consent',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    patientId: p.uuid(),
    type: p.enum(() => [...CONSENT_TYPES]).columnType('text'),
    categories: p.json<string[]>(),
    /** The version of the consent text she agreed to. */
    version: p.string().length(40),
    grantedAt: p.datetime(),
    grantedBy: p.uuid(),
    expiresAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    revokedBy: p.uuid().nullable(),
  },
});

/** A consent row. */
export class Consent extends ConsentEntity.class {}
ConsentEntity.setClass(Consent);
