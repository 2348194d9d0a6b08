import pg from 'pg';

/**
 * A scratch database for one of the "other measurements": with `serverUrl` (a PostgreSQL server
 * whose user may create databases) a new database named `<prefix>_<time>` and a dropper; without
 * it, no URL (the server then uses its embedded PGlite) and a dropper that does nothing.
 */
export async function scratchDatabase(serverUrl: string | null, prefix = 'cradle_bench'): Promise<{ url: string | null; drop: () => Promise<void> }> {
  if (!serverUrl) return { url: null, drop: async () => undefined };
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}
