import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../auth/actor.js';
import { findUsersByEmail } from '../auth/user.service.js';
import type { Role } from '../db/entities/index.js';
import type { AuditEntryInput, AuditSink } from './audit-entry.js';
import type { RequestOrigin } from './phi-access-recorder.js';

/**
 * The chain that records what belongs to no tenant: failed sign-ins for an address that matches no
 * account (the typed address itself is never recorded).
 */
export const NO_TENANT_ID = '00000000-0000-0000-0000-000000000000';

/** The audit action of a sign-in attempt. */
export const LOGIN_ACTION = 'LOGIN';

/** Records a successful sign-in as its user's, with the request's id, client address and User-Agent. */
export function auditLoginSucceeded(sink: AuditSink, actor: Actor, origin: RequestOrigin): Promise<void> {
  return sink.append([
    {
      tenantId: actor.tenantId,
      actor: { type: 'USER', userId: actor.userId, role: actor.role, sessionId: actor.sessionId ?? null },
      patientId: null,
      action: LOGIN_ACTION,
      fields: [],
      purpose: null,
      outcome: 'ALLOWED',
      requestId: origin.requestId,
      clientIp: origin.clientIp,
      userAgent: origin.userAgent,
      details: {},
    },
  ]);
}

/**
 * Records a refused sign-in: as the attempted account's (its id, tenant and role) when the address
 * matches exactly one, else (none, or accounts in several tenants) in the no-tenant chain; `reason` is the error code (or TOTP reason), never the
 * address or password. `origin` (request id, client address, User-Agent) is recorded as for any request.
 */
export async function auditLoginFailed(sink: AuditSink, em: EntityManager, email: string, origin: RequestOrigin, reason: string): Promise<void> {
  const accounts = await findUsersByEmail(em, email);
  const user = accounts.length === 1 ? accounts[0]! : null;
  const entry: AuditEntryInput = {
    tenantId: user?.tenantId ?? NO_TENANT_ID,
    actor: user ? { type: 'USER', userId: user.id, role: user.role as Role, sessionId: null } : { type: 'SYSTEM', component: 'unknown-account' },
    patientId: null,
    action: LOGIN_ACTION,
    fields: [],
    purpose: null,
    outcome: 'DENIED',
    requestId: origin.requestId,
    clientIp: origin.clientIp,
    userAgent: origin.userAgent,
    details: { reason },
  };
  await sink.append([entry]);
}
