import { auditEntriesFor, PURPOSE_OF_RELATION } from '../audit/phi-access-recorder.js';
import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import type { RequestContext } from '../context.js';
import { StatusUpdate, type StatusKind, type StatusUpdateDeletionReason } from '../db/entities/index.js';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors.js';
import { asDate } from '../schema/common/dates.js';
import { checkId } from './input-checks.js';

/** The reasons a patient may give for deleting her own entry (WRONG_PATIENT is a clinician's finding). */
export const PATIENT_DELETION_REASONS: readonly StatusUpdateDeletionReason[] = ['ENTERED_IN_ERROR', 'DUPLICATE', 'PATIENT_REQUEST'];

/** What a deletion did, as the API reports it. */
export interface StatusUpdateDeleted {
  readonly id: string;
  readonly deletedAt: Date;
  readonly reason: StatusUpdateDeletionReason;
}

/**
 * Deletes status updates softly, for the people accountable for the record:
 *
 * - the patient, an entry she logged herself, within `selfCorrectionMinutes` of logging it;
 * - a clinician on her care team whose grant covers the entry's data category, at any time;
 * - never break-glass access (read-only by purpose) and never an ADMIN (no clinical categories).
 *
 * The row stays, marked with who, when and why (a reason code), for the retention period; the
 * entity's default filter hides it from every read from then on. The tombstone audit record
 * (action DELETE, the reason code and ids, no values) is made durable *before* the row changes,
 * so a deletion is never unaudited. Out-of-scope and unknown ids are NOT_FOUND alike.
 */
export class StatusUpdateDeletionService {
  constructor(private readonly ctx: RequestContext) {}

  async delete(rawId: string, reason: StatusUpdateDeletionReason): Promise<StatusUpdateDeleted> {
    const actor = this.ctx.access.requireActor();
    const id = checkId(rawId, 'id', NotFoundError.statusUpdate);
    const row = await this.ctx.em.findOne(StatusUpdate, { id, tenantId: actor.tenantId });
    if (!row) throw NotFoundError.statusUpdate();
    const kind = row.kind as StatusKind;
    if (!(await this.ctx.access.allows(row.patientId, STATUS_KIND_CATEGORY[kind]))) throw NotFoundError.statusUpdate();
    const grant = (await this.ctx.access.grantFor(row.patientId))!;
    const now = this.ctx.services.now();
    const refuse = (refusal: string, error: Error): never => {
      this.ctx.phiAccess.event({
        patientId: row.patientId, action: 'DELETE', outcome: 'DENIED', purpose: PURPOSE_OF_RELATION[grant.relation],
        fields: ['StatusUpdate'], details: { statusUpdateId: id, kind, reason, refusal },
      });
      throw error;
    };
    if (grant.relation === 'EMERGENCY') refuse('EMERGENCY_ACCESS', ForbiddenError.emergencyAccessWrite());
    if (grant.relation !== 'SELF' && grant.relation !== 'CARE_TEAM') throw NotFoundError.statusUpdate();
    if (grant.relation === 'SELF') {
      if (!PATIENT_DELETION_REASONS.includes(reason)) throw BadInputError.patientDeletionReason(PATIENT_DELETION_REASONS);
      if (row.recordedBy !== actor.userId) refuse('NOT_OWN_ENTRY', ForbiddenError.notOwnEntry());
      const windowMinutes = this.ctx.services.config.selfCorrectionMinutes;
      if (now - asDate(row.createdAt).getTime() > windowMinutes * 60_000) refuse('CORRECTION_WINDOW_CLOSED', ForbiddenError.correctionWindowClosed(windowMinutes));
    }

    // The tombstone first: durable before the record changes.
    await this.ctx.services.audit.append(
      auditEntriesFor(actor, { requestId: this.ctx.requestId, clientIp: this.ctx.clientIp, userAgent: this.ctx.userAgent }, [], [
        {
          patientId: row.patientId, action: 'DELETE', outcome: 'ALLOWED', purpose: PURPOSE_OF_RELATION[grant.relation],
          fields: ['StatusUpdate'], details: { statusUpdateId: id, kind, reason, seq: row.seq },
        },
      ]),
    );
    const deletedAt = new Date(now);
    const changed = await this.ctx.em.nativeUpdate(
      StatusUpdate,
      { id, tenantId: actor.tenantId, deletedAt: null },
      { deletedAt, deletedBy: actor.userId, deletionReason: reason },
    );
    // Another request deleted it meanwhile (its own tombstone names it); to this caller it is gone.
    if (changed === 0) throw NotFoundError.statusUpdate();
    return { id, deletedAt, reason };
  }
}
