import { defineEntity, p } from '@mikro-orm/core';
import { EncryptedTextType } from '../../crypto/encrypted-types.js';

/**
 * A user's TOTP second factor (see `auth/totp.service.ts`): at most one per user. `secret` is set
 * by `beginTotpEnrolment` and the factor is in force once `confirmedAt` is set. `lastUsedStep` is
 * the RFC 6238 time step of the last accepted code, so no code is accepted twice.
 *
 * The secret is encrypted at rest (`crypto/encrypted-fields.ts`; raw SQL in the service seals it
 * itself). The enrolment ticket lets a clinician whom tenant policy forces to enrol, and
 * who therefore cannot sign in yet, call the enrolment mutations; only its SHA-256 is stored.
 */
export const TotpCredentialEntity = defineEntity({
  name: 'TotpCredential',
  tableName: 'totp_credential',
  properties: {
    userId: p.uuid().primary(),
    tenantId: p.uuid(),
    /** Base32 shared secret; null until enrolment begins. */
    secret: p.string().type(EncryptedTextType).nullable(),
    confirmedAt: p.datetime().nullable(),
    lastUsedStep: p.bigint('number').nullable(),
    /** Hex SHA-256 of the current enrolment ticket, if one was issued at login. */
    enrolmentTicketHash: p.string().length(64).nullable().unique(),
    enrolmentTicketExpiresAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});

/** A TOTP credential row. Never exposed through GraphQL. */
export class TotpCredential extends TotpCredentialEntity.class {}
TotpCredentialEntity.setClass(TotpCredential);

/** One single-use recovery code of a user's TOTP factor, stored only as its SHA-256 (`auth/totp-recovery-code.ts`). */
export const TotpRecoveryCodeEntity = defineEntity({
  name: 'TotpRecoveryCode',
  tableName: 'totp_recovery_code',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid().index(),
    codeHash: p.string().length(64),
    /** When the code was spent; a spent code never works again. */
    usedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});

/** A recovery-code row. */
export class TotpRecoveryCode extends TotpRecoveryCodeEntity.class {}
TotpRecoveryCodeEntity.setClass(TotpRecoveryCode);
