import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/** What a compliance officer concluded about an emergency access. */
export const EMERGENCY_REVIEW_OUTCOMES = ['APPROPRIATE', 'INAPPROPRIATE'] as const;

/** One of {@link EMERGENCY_REVIEW_OUTCOMES}. */
export type EmergencyReviewOutcome = (typeof EMERGENCY_REVIEW_OUTCOMES)[number];

/**
 * Break-glass: a clinician outside a patient's care team took emergency access, with a
 * justification, until `expiresAt`. Every such grant waits for a compliance officer's review.
 */
export const EmergencyAccessEntity = defineEntity({
  name: 'EmergencyAccess',
  tableName: 'emergency_access',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    patientId: p.uuid(),
    userId: p.uuid(),
    /** Encrypted at rest, like the review note. */
    justification: p.string().type(EncryptedTextType),
    grantedAt: p.datetime(),
    expiresAt: p.datetime(),
    reviewedAt: p.datetime().nullable(),
    reviewedBy: p.uuid().nullable(),
    reviewOutcome: p.enum(() => [...EMERGENCY_REVIEW_OUTCOMES]).columnType('text').nullable(),
    reviewNote: p.string().type(EncryptedTextType).nullable(),
  },
});

/** An emergency-access row. */
export class EmergencyAccess extends EmergencyAccessEntity.class {}
EmergencyAccessEntity.setClass(EmergencyAccess);
