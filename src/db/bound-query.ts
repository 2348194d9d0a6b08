import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely } from 'kysely';

/**
 * Runs one statement in `em`'s current transaction with its parameters (`$1`, `$2`, …) bound by
 * the database driver. MikroORM's own `execute` inlines every parameter into the SQL text,
 * escaping each in JavaScript; for a statement carrying a large value (a batch of audit records
 * as one JSON document) binding it is much cheaper, for the server and for PostgreSQL's parser.
 * On hot paths it also skips the ORM's query building, which costs more than the statement.
 *
 * Only inside a transaction: outside one, MikroORM would not apply its session context (the
 * request's tenant wall), so this refuses rather than run unconfined.
 */
export async function executeBound<R = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<R[]> {
  const ctx = em.getTransactionContext<Kysely<unknown>>();
  if (!ctx) throw new Error('executeBound runs only inside a transaction');
  const result = await ctx.executeQuery<R>(CompiledQuery.raw(sql, [...params]));
  return result.rows;
}

/**
 * {@link executeBound} for an EntityManager outside the tenant wall (one without a session
 * context: system work, and the steps of sign-in before a tenant is known), which may run a lone
 * statement outside a transaction. Refuses a tenant-scoped EntityManager outside a transaction.
 */
export async function executeBoundUnscoped<R = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<R[]> {
  if (em.getTransactionContext()) return executeBound<R>(em, sql, params);
  if (em.getTransactionSessionContext()) throw new Error('a tenant-scoped statement runs only inside a transaction');
  const result = await em.getConnection().getClient().executeQuery<R>(CompiledQuery.raw(sql, [...params]));
  return result.rows;
}
