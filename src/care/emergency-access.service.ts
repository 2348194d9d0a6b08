import type { RequestContext } from '../context.js';
import { CareTeamMember, EmergencyAccess, Patient, type EmergencyReviewOutcome } from '../db/entities/index.js';
import { BadInputError, ConflictError, NotFoundError } from '../errors.js';
import { checkId, checkText } from '../status/input-checks.js';

/** How long break-glass access lasts (configurable with CRADLE_EMERGENCY_ACCESS_MINUTES). */
const MIN_JUSTIFICATION = 20;

/**
 * Break-glass: a clinician outside a patient's care team takes time-limited emergency access with
 * a written justification; a compliance officer reviews every such access afterwards. Patients,
 * researchers, compliance officers and admins cannot break glass (the operation's `@auth` rule).
 */
export class EmergencyAccessService {
  constructor(private readonly ctx: RequestContext) {}

  async request(patientId: string, justification: string): Promise<EmergencyAccess> {
    const actor = this.ctx.access.requireActor();
    const id = checkId(patientId, 'patientId', NotFoundError.patient);
    const text = checkText(justification, 'justification', 2000);
    if (text.length < MIN_JUSTIFICATION) {
      throw BadInputError.field('justification', `justification must explain the emergency in at least ${MIN_JUSTIFICATION} characters.`);
    }
    const patient = await this.ctx.em.findOne(Patient, { id, tenantId: actor.tenantId }, { fields: ['id'] });
    if (!patient) throw NotFoundError.patient();
    const member = await this.ctx.em.findOne(CareTeamMember, { patientId: id, userId: actor.userId, removedAt: null }, { fields: ['id'] });
    if (member) throw ConflictError.alreadyOnCareTeam();
    const now = this.ctx.services.now();
    const grant = this.ctx.em.create(EmergencyAccess, {
      id: crypto.randomUUID(),
      tenantId: actor.tenantId,
      patientId: id,
      userId: actor.userId,
      justification: text,
      grantedAt: new Date(now),
      expiresAt: new Date(now + this.ctx.services.config.emergencyAccessMinutes * 60_000),
    });
    await this.ctx.em.flush();
    this.ctx.access.invalidate(id);
    // Audited with the request (never the justification: free text may hold PHI); the compliance monitor raises an event.
    this.ctx.phiAccess.event({ patientId: id, action: 'EMERGENCY_ACCESS_REQUESTED', outcome: 'ALLOWED', purpose: 'EMERGENCY', details: { emergencyAccessId: grant.id } });
    this.ctx.logger.warn({ emergencyAccessId: grant.id }, 'break-glass emergency access granted; awaiting compliance review');
    return grant;
  }

  /** Records a compliance officer's review of an emergency access; a second review is a CONFLICT. */
  async review(id: string, outcome: EmergencyReviewOutcome, note: string): Promise<EmergencyAccess> {
    const actor = this.ctx.access.requireActor();
    const grantId = checkId(id, 'id', NotFoundError.emergencyAccess);
    const text = checkText(note, 'note', 2000);
    const grant = await this.ctx.em.findOne(EmergencyAccess, { id: grantId, tenantId: actor.tenantId });
    if (!grant) throw NotFoundError.emergencyAccess('id');
    if (grant.reviewedAt) throw ConflictError.alreadyReviewed();
    grant.reviewedAt = new Date(this.ctx.services.now());
    grant.reviewedBy = actor.userId;
    grant.reviewOutcome = outcome;
    grant.reviewNote = text;
    await this.ctx.em.flush();
    this.ctx.phiAccess.event({
      patientId: grant.patientId,
      action: 'EMERGENCY_ACCESS_REVIEWED',
      outcome: 'ALLOWED',
      purpose: 'OPERATIONS',
      details: { emergencyAccessId: grant.id, reviewOutcome: outcome },
    });
    return grant;
  }

  /** Emergency accesses of the caller's tenant waiting for review, oldest first. */
  pendingReviews(): Promise<EmergencyAccess[]> {
    const actor = this.ctx.access.requireActor();
    return this.ctx.em.find(EmergencyAccess, { tenantId: actor.tenantId, reviewedAt: null }, { orderBy: { grantedAt: 'asc', id: 'asc' }, limit: 200 });
  }
}
