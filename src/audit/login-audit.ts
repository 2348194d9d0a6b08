import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../auth/actor.js';
import { findUserByEmail } from '../auth/user.service.js';
import type { Role } from '../db/entities/index.js';
import type { AuditEntryInput, AuditSink } from './audit-entry.js';

/**
 * The chain that records what belongs to no tenant: failed sign-ins for an address that matches no
 * account (the typed address itself is never recorded).
 */
export const NO_TENANT_ID = '00000000-0000-0000-0000-000000000000';

/** The audit action of a sign-in attempt. */
export const LOGIN_ACTION = 'LOGIN';

/** Records a successful sign-in as its user's. */
export function auditLoginSucceeded(sink: AuditSink, actor: Actor, clientIp: string | null): Promise<void> {
  return sink.append([
    {
      tenantId: actor.tenantId,
      actor: { type: 'USER', userId: actor.userId, role: actor.role, sessionId: actor.sessionId ?? null },
      patientId: null,
      action: LOGIN_ACTION,
      fields: [],
      purpose: null,
      outcome: 'ALLOWED',
      requestId: null,
      clientIp,
      userAgent: null,
      details: {},
    },
  ]);
}

/**
 * Records a refused sign-in: as the attempted account's (its id, tenant and role) when the address
 * matches one, else in the no-tenant chain; `reason` is the error code (or TOTP reason), never the
 * address or password.
 */
export async function auditLoginFailed(sink: AuditSink, em: EntityManager, email: string, clientIp: string | null, reason: string): Promise<void> {
  const user = await findUserByEmail(em, email);
  const entry: AuditEntryInput = {
    tenantId: user?.tenantId ?? NO_TENANT_ID,
    actor: user ? { type: 'USER', userId: user.id, role: user.role as Role, sessionId: null } : { type: 'SYSTEM', component: 'unknown-account' },
    patientId: null,
    action: LOGIN_ACTION,
    fields: [],
    purpose: null,
    outcome: 'DENIED',
    requestId: null,
    clientIp,
    userAgent: null,
    details: { reason },
  };
  await sink.append([entry]);
}
