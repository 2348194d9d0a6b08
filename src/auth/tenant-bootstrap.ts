import type { MikroORM } from '@mikro-orm/postgresql';
import type { AuditSink } from '../audit/audit-entry.js';
import { Tenant } from '../db/entities/index.js';
import { BadInputError, ConflictError } from '../errors.js';
import { checkEmail, createUser, findUsersByEmail } from './user.service.js';

/** What `tenant:create` needs: the tenant's name and its first ADMIN's sign-in. */
export interface NewTenant {
  readonly name: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
}

/** What `tenant:create` prints. */
export type TenantCreated = {
  readonly tenantId: string;
  readonly adminUserId: string;
};

/**
 * Creates a tenant and its first ADMIN in one transaction, then records `TENANT_CREATED` in the
 * new tenant's audit trail as the system component `component` (`cli`, or `operator-cli` when the
 * command line asked a running server). Throws the `BAD_USER_INPUT`/`CONFLICT` errors of
 * `createUser`, or for an empty name (nothing is written then). The audit record names ids only.
 *
 * Unlike an ADMIN's `createUser`, which looks only at its own tenant (so that it learns nothing of
 * others), the operator acts for the whole installation: it is refused (CONFLICT) an admin address
 * that already has an account in any tenant, because sign-in takes only an address and a password
 * and two accounts with one address and one password sign in to neither.
 */
export async function createTenantWithAdmin(orm: MikroORM, audit: AuditSink, input: NewTenant, component: string): Promise<TenantCreated> {
  const name = input.name.trim();
  if (name === '') throw BadInputError.field('name', 'name must not be empty.');
  const created = await orm.em.fork().transactional(async (em) => {
    if ((await findUsersByEmail(em, checkEmail(input.adminEmail, 'admin.email'))).length > 0) throw ConflictError.emailTaken('admin.email');
    const tenant = em.create(Tenant, { id: crypto.randomUUID(), name, eventSeq: 0 });
    await em.flush();
    const admin = await createUser(
      em,
      { tenantId: tenant.id, email: input.adminEmail, password: input.adminPassword, role: 'ADMIN', displayName: `${name} administrator` },
      'admin',
    );
    return { tenantId: tenant.id, adminUserId: admin.id };
  });
  await audit.append([
    {
      tenantId: created.tenantId,
      actor: { type: 'SYSTEM', component },
      patientId: null,
      action: 'TENANT_CREATED',
      fields: [],
      purpose: 'OPERATIONS',
      outcome: 'ALLOWED',
      requestId: null,
      clientIp: null,
      userAgent: null,
      details: { adminUserId: created.adminUserId },
    },
  ]);
  return created;
}
