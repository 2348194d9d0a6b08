import type { RequestContext } from '../context.js';
import type { AuditEntryInput } from './audit-entry.js';

/** What an administrative step changed: the account it concerns, and the patient when there is one. */
export interface AdministrativeAction {
  readonly action: string;
  readonly patientId: string | null;
  readonly targetUserId: string;
  readonly targetRole: string;
  /** Counts and flags only: never a name, an address or free text. */
  readonly details?: Readonly<Record<string, number | boolean>>;
}

/**
 * Appends the audit record of an administrative step taken by the signed-in caller (purpose
 * OPERATIONS, outcome ALLOWED), with the request's id, address and User-Agent, before the step's
 * answer is sent: the compliance rules on administrators' provisioning read these records.
 */
export async function auditAdministrativeAction(ctx: RequestContext, step: AdministrativeAction): Promise<void> {
  const actor = ctx.access.requireActor();
  const entry: AuditEntryInput = {
    tenantId: actor.tenantId,
    actor: { type: 'USER', userId: actor.userId, role: actor.role, sessionId: actor.sessionId ?? null },
    patientId: step.patientId,
    action: step.action,
    fields: [],
    purpose: 'OPERATIONS',
    outcome: 'ALLOWED',
    requestId: ctx.requestId,
    clientIp: ctx.clientIp,
    userAgent: ctx.userAgent,
    details: { targetUserId: step.targetUserId, targetRole: step.targetRole, ...step.details },
  };
  await ctx.services.audit.append([entry]);
}
