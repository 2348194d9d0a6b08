import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The database role requests run as: not a superuser, not the tables' owner, so PostgreSQL's
 * row-level security policies apply to it (created by the row-level-security migration).
 */
export const APP_DATABASE_ROLE = 'cradle_app';

/** The session setting the tenant-isolation policies read: the caller's tenant id, or empty (no rows). */
export const TENANT_SETTING = 'cradle.tenant_id';

/**
 * An EntityManager for one request, confined by the database itself to one tenant's rows: every
 * query runs as {@link APP_DATABASE_ROLE} with {@link TENANT_SETTING} set (MikroORM's session
 * context applies both as transaction-local settings, wrapping single statements in a short
 * transaction). With no
 * tenant (an anonymous caller) it sees no tenant data at all. This is the second wall under the
 * application's own checks: a query that forgets its `tenantId` filter still cannot cross tenants.
 */
export function tenantScopedEm(rootEm: EntityManager, tenantId: string | null): EntityManager {
  // The role travels as the `role` setting rather than MikroORM's `role` option: both settings are
  // then applied by one `select set_config(…), set_config(…)` per transaction, not two statements.
  return rootEm.fork({ session: { variables: { [TENANT_SETTING]: tenantId ?? '', role: APP_DATABASE_ROLE } } });
}
