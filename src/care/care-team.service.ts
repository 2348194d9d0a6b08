import { auditAdministrativeAction } from '../audit/administrative-action.js';
import type { RequestContext } from '../context.js';
import { CareTeamMember, CLINICAL_ROLES, User, type ClinicalRole } from '../db/entities/index.js';
import { BadInputError, ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { Channels } from '../realtime/event-bus.js';
import type { AccessChange } from '../realtime/live-feed.js';
import { checkId } from '../status/input-checks.js';

/** The audit action (and compliance trigger) of an ADMIN giving a care team its coordinator. */
export const ADMIN_CARE_TEAM_ASSIGNMENT_ACTION = 'ADMIN_CARE_TEAM_ASSIGNMENT';

/**
 * Care-team membership. The patient's own care coordinator manages it. Separation of duties keeps
 * ADMINs (who create accounts) from joining clinicians to teams: an ADMIN may only give a team
 * without an active coordinator its CARE_COORDINATOR (a patient an ADMIN registered, or whose
 * coordinator left), audited and raised as a compliance event; it may remove members (taking
 * access away). A change takes effect on the next request and, through an access-change message,
 * on live subscriptions at once.
 */
export class CareTeamService {
  constructor(private readonly ctx: RequestContext) {}

  /** Checks that the caller may manage this patient's care team (NOT_FOUND otherwise). */
  private async requireManager(patientId: string): Promise<string> {
    const actor = this.ctx.access.requireActor();
    const id = checkId(patientId, 'patientId', NotFoundError.patient);
    const grant = await this.ctx.access.grantFor(id);
    const manages = grant !== null && (grant.relation === 'ADMIN' || (grant.relation === 'CARE_TEAM' && actor.role === 'CARE_COORDINATOR'));
    if (!manages) throw NotFoundError.patient();
    return id;
  }

  /** Adds a clinician to a patient's care team in the role the clinician holds in the tenant. */
  async assign(patientId: string, userId: string, role: ClinicalRole): Promise<{ member: CareTeamMember; displayName: string }> {
    const actor = this.ctx.access.requireActor();
    const pid = await this.requireManager(patientId);
    const uid = checkId(userId, 'userId', NotFoundError.user);
    if (!(CLINICAL_ROLES as readonly string[]).includes(role)) throw BadInputError.field('role', 'role must be a care-team role.');
    const user = await this.ctx.em.findOne(User, { id: uid, tenantId: actor.tenantId, disabledAt: null });
    if (!user) throw NotFoundError.user('userId');
    if (user.role !== role) throw BadInputError.field('role', "role must match the user's own role in the tenant.");
    const existing = await this.ctx.em.findOne(CareTeamMember, { patientId: pid, userId: uid, removedAt: null });
    if (existing) throw ConflictError.alreadyOnCareTeam();
    if (actor.role === 'ADMIN') await this.requireAdminMayAssign(pid, role);
    const member = this.ctx.em.create(CareTeamMember, {
      id: crypto.randomUUID(),
      tenantId: actor.tenantId,
      patientId: pid,
      userId: uid,
      role,
      assignedBy: actor.userId,
    });
    await this.ctx.em.flush();
    if (actor.role === 'ADMIN') await this.auditAdminAssignment(pid, user.id, role);
    await this.announce({ type: 'CARE_TEAM', patientId: pid, userId: uid });
    return { member, displayName: user.displayName };
  }

  /** Refuses an ADMIN's assignment unless it gives a team without an active coordinator its coordinator. */
  private async requireAdminMayAssign(patientId: string, role: ClinicalRole): Promise<void> {
    if (role !== 'CARE_COORDINATOR') throw ForbiddenError.careTeamSeparationOfDuties('role');
    const coordinators = await this.ctx.em.count(CareTeamMember, { patientId, role: 'CARE_COORDINATOR', removedAt: null });
    if (coordinators > 0) throw ForbiddenError.careTeamSeparationOfDuties('patientId');
  }

  private async auditAdminAssignment(patientId: string, userId: string, role: ClinicalRole): Promise<void> {
    await auditAdministrativeAction(this.ctx, { action: ADMIN_CARE_TEAM_ASSIGNMENT_ACTION, patientId, targetUserId: userId, targetRole: role });
  }

  /** Ends a clinician's membership; returns true. Live subscriptions stop delivering at once. */
  async remove(patientId: string, userId: string): Promise<boolean> {
    const actor = this.ctx.access.requireActor();
    const pid = await this.requireManager(patientId);
    const uid = checkId(userId, 'userId', NotFoundError.careTeamMember);
    const member = await this.ctx.em.findOne(CareTeamMember, { patientId: pid, userId: uid, removedAt: null, tenantId: actor.tenantId });
    if (!member) throw NotFoundError.careTeamMember('userId');
    member.removedAt = new Date(this.ctx.services.now());
    member.removedBy = actor.userId;
    await this.ctx.em.flush();
    await this.announce({ type: 'CARE_TEAM', patientId: pid, userId: uid });
    return true;
  }

  /** The active members of a patient's care team with their display names. */
  async members(patientId: string): Promise<Array<{ member: CareTeamMember; displayName: string }>> {
    const actor = this.ctx.access.requireActor();
    const members = await this.ctx.em.find(CareTeamMember, { patientId, tenantId: actor.tenantId, removedAt: null }, { orderBy: { assignedAt: 'asc', id: 'asc' } });
    const users = await this.ctx.em.find(User, { id: { $in: members.map((m) => m.userId) } }, { fields: ['id', 'displayName'] });
    const names = new Map(users.map((u) => [u.id, u.displayName]));
    return members.map((member) => ({ member, displayName: names.get(member.userId) ?? '' }));
  }

  /**
   * Tells every instance's live feed that access to a patient changed. If the bus is down the
   * change still holds for every new request, but live subscriptions on other instances do not
   * learn of it until they resubscribe (a known gap, tracked with the access-model work).
   */
  private async announce(change: AccessChange & { type: 'CARE_TEAM' }): Promise<void> {
    this.ctx.access.invalidate(change.patientId);
    const tenantId = this.ctx.access.requireActor().tenantId;
    try {
      await this.ctx.services.bus.publish(Channels.tenantAccess(tenantId), JSON.stringify(change));
    } catch (err) {
      this.ctx.logger.error({ err }, 'could not announce an access change on the bus');
    }
  }
}
