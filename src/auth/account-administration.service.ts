import { auditAdministrativeAction } from '../audit/administrative-action.js';
import type { RequestContext } from '../context.js';
import { TotpCredential, TotpRecoveryCode, User } from '../db/entities/index.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { isUuid } from './patient-access.js';
import { createUser, type NewUser } from './user.service.js';

/** The audit action of an ADMIN creating an account (a clinical one also raises a compliance event). */
export const ACCOUNT_CREATED_ACTION = 'ACCOUNT_CREATED';

/**
 * What an ADMIN does to the accounts of its tenant: creating one (audited; a clinical account also
 * raises the ADMIN_CLINICAL_PROVISIONING compliance event), disabling one (which
 * ends its sessions at once, live sockets included, and refuses its logins) and resetting a lost
 * second factor (which ends its sessions; the user enrols again at the next login when the tenant
 * requires TOTP). Each action is audited. Users of other tenants look like they do not exist.
 */
export class AccountAdministrationService {
  constructor(private readonly ctx: RequestContext) {}

  /** Creates an account in the caller's tenant (see `createUser`: password policy, CONFLICT) and audits it. */
  async create(input: Omit<NewUser, 'tenantId'>): Promise<User> {
    const actor = this.ctx.access.requireActor();
    const user = await createUser(this.ctx.em, { ...input, tenantId: actor.tenantId });
    await this.audit(ACCOUNT_CREATED_ACTION, user, {});
    return user;
  }

  /** Disables or re-enables an account; returns it. An ADMIN cannot disable itself. */
  async setDisabled(userId: string, disabled: boolean): Promise<User> {
    const user = await this.user(userId);
    const actor = this.ctx.access.requireActor();
    if (disabled && user.id === actor.userId) throw BadInputError.field('userId', 'An administrator cannot disable its own account.');
    const wasDisabled = user.disabledAt !== null && user.disabledAt !== undefined;
    if (disabled !== wasDisabled) {
      user.disabledAt = disabled ? new Date(this.ctx.services.now()) : null;
      await this.ctx.em.flush();
    }
    const ended = disabled ? await this.ctx.services.sessions.endUserSessions(this.ctx.em, user.id, 'ACCOUNT_DISABLED') : 0;
    await this.audit(disabled ? 'ACCOUNT_DISABLED' : 'ACCOUNT_ENABLED', user, { sessionsEnded: ended, changed: disabled !== wasDisabled });
    return user;
  }

  /** Removes an account's TOTP factor and recovery codes and ends its sessions; true if it had one. */
  async resetSecondFactor(userId: string): Promise<boolean> {
    const user = await this.user(userId);
    const removed = await this.ctx.em.transactional(async (em) => {
      await em.nativeDelete(TotpRecoveryCode, { userId: user.id });
      return em.nativeDelete(TotpCredential, { userId: user.id, tenantId: user.tenantId });
    });
    const ended = await this.ctx.services.sessions.endUserSessions(this.ctx.em, user.id, 'SECOND_FACTOR_RESET');
    await this.audit('SECOND_FACTOR_RESET', user, { sessionsEnded: ended, hadFactor: removed > 0 });
    return removed > 0;
  }

  private async user(userId: string): Promise<User> {
    const actor = this.ctx.access.requireActor();
    if (!isUuid(userId)) throw NotFoundError.user();
    const user = await this.ctx.em.findOne(User, { id: userId, tenantId: actor.tenantId });
    if (!user) throw NotFoundError.user();
    return user;
  }

  private async audit(action: string, user: User, details: Record<string, number | boolean>): Promise<void> {
    await auditAdministrativeAction(this.ctx, { action, patientId: null, targetUserId: user.id, targetRole: String(user.role), details });
  }
}
