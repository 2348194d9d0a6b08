import type pg from 'pg';

/**
 * Makes a `pg` pool take back, and close, a connection that breaks while it is checked out.
 *
 * Why: Kysely (under MikroORM) releases a transaction's connection only after its COMMIT or
 * ROLLBACK succeeds. When the server goes away mid-transaction (a restart, a failover, a
 * terminated backend) both fail, the connection is never released, and it stays counted against
 * the pool's maximum forever: after a few restarts under load the pool is full of dead connections
 * and every later query waits for one without end. A checked-out connection that emits `error`
 * (pg does so exactly when the connection itself fails) is therefore released here with that
 * error, which makes pg-pool close it and free its slot at once; the holder's own release, when it
 * comes, is then ignored. Connections checked out with a callback (`pool.query` does so and
 * releases correctly itself) are left alone.
 */
export function releaseBrokenConnections(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (callback?: unknown) => Promise<pg.PoolClient> | undefined;
  const guarded = (callback?: unknown) => {
    if (typeof callback === 'function') return connect(callback);
    return connect()!.then(releaseWhenBroken);
  };
  (pool as unknown as { connect: typeof guarded }).connect = guarded;
}

function releaseWhenBroken(client: pg.PoolClient): pg.PoolClient {
  const release = client.release;
  let releasedBroken = false;
  const onBroken = (err: Error) => {
    releasedBroken = true;
    release(err);
  };
  client.once('error', onBroken);
  client.release = (err?: Error | boolean) => {
    if (releasedBroken) return;
    client.removeListener('error', onBroken);
    release(err);
  };
  return client;
}
