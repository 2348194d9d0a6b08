import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely } from 'kysely';

/**
 * Runs one statement in `em`'s current transaction with its parameters (`$1`, `$2`, …) bound by
 * the database driver. MikroORM's own `execute` inlines every parameter into the SQL text,
 * escaping each in JavaScript; for a statement carrying a large value (a batch of audit records
 * as one JSON document) binding it is much cheaper, for the server and for PostgreSQL's parser.
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
