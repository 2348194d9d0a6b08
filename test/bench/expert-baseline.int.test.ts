import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startExpertServer, type RunningExpertServer } from '../../bench/baselines/expert-app.js';
import { MemoryPatientBus } from '../../bench/baselines/expert-fanout.js';
import { RedisPatientBus } from '../../bench/baselines/expert-redis-bus.js';
import { ExpertStore, pgStatementRunner, type StatementRunner } from '../../bench/baselines/expert-store.js';
import { DeliveryTracker } from '../../bench/lib/delivery-tracker.js';
import { runOpenLoop } from '../../bench/lib/load-generator.js';
import { scratchDatabase } from '../../bench/lib/scratch-database.js';
import { SubscriberPool } from '../../bench/lib/subscriber-pool.js';
import { seedWorld, type SeededWorld } from '../../bench/seed.js';
import { AccessTokenIssuer } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { backend } from '../helpers/test-server.js';

/**
 * B3 on the backends the suite runs on: with DATABASE_URL and REDIS_URL, node-postgres prepared
 * statements on a database of this file's own and one Redis channel per patient under a prefix of
 * its own, as in the bench; embedded, the same SQL on PGlite through the ORM's connection and the
 * in-process bus.
 */
function ormStatementRunner(database: Database): StatementRunner {
  return {
    run<R>(statement: { text: string }, values: readonly unknown[]): Promise<R[]> {
      const params: unknown[] = [];
      const sql = statement.text.replace(/\$(\d+)/g, (_, n: string) => (params.push(values[Number(n) - 1]), '?'));
      return database.orm.em.fork().execute(sql, params) as Promise<R[]>;
    },
    close: async () => undefined,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(20);
  return condition();
}

describe('B3, the expert baseline', () => {
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let database: Database;
  let world: SeededWorld;
  let server: RunningExpertServer;
  let url: string;

  beforeAll(async () => {
    scratch = await scratchDatabase(backend.databaseUrl, 'cradle_test_b3');
    const env = {
      CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex'),
      CRADLE_KEK: randomBytes(32).toString('base64'),
      CRADLE_IN_MEMORY_DB: 'true',
      ...(scratch.url ? { DATABASE_URL: scratch.url } : {}),
    };
    const config = loadConfig(env);
    database = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true });
    world = await seedWorld(database, config, { shape: 'team', subscribers: 30, topics: 1, decoyFraction: 0.1 });
    server = await startExpertServer({
      store: new ExpertStore(scratch.url ? pgStatementRunner(scratch.url, 4) : ormStatementRunner(database), env.CRADLE_KEK),
      bus: backend.redisUrl ? new RedisPatientBus(backend.redisUrl) : new MemoryPatientBus(),
      tokens: new AccessTokenIssuer(config.tokenKeyId, { [config.tokenKeyId]: config.tokenSecret }, config.accessTokenTtlSeconds),
      channelPrefix: `test_b3_${randomBytes(4).toString('hex')}:`,
    });
    url = `127.0.0.1:${server.port}/graphql`;
  });

  afterAll(async () => {
    await server?.close();
    await database?.close();
    await scratch?.drop();
  });

  const storedUpdates = async () => Number((await database.orm.em.fork().execute<Array<{ n: string | number }>>('select count(*) as n from status_update'))[0]!.n);

  it('delivers every event to each subscriber on the patient\'s care team, once, and to nobody else', async () => {
    const tracker = new DeliveryTracker(world.subscribers.map((s) => s.entitled));
    const pool = new SubscriberPool(tracker);
    try {
      await pool.connect([`ws://${url}`], world.subscribers.map((s) => s.token));
      expect(await waitFor(() => server.live.count === world.subscribers.length, 10_000)).toBe(true);
      const load = await runOpenLoop({ url: `http://${url}`, token: world.writerToken, patients: world.patients, fanOut: world.fanOut, rate: 20, durationMs: 1000, padding: 40, tracker });
      expect(load).toMatchObject({ sent: 20, ok: 20, failed: 0 });
      expect(await waitFor(() => tracker.outstanding() === 0, 10_000)).toBe(true);
      await sleep(200);
      const expected = Array.from({ length: 20 }, (_, i) => world.fanOut.get(world.patients[i % world.patients.length]!)!).reduce((a, b) => a + b, 0);
      expect(expected).toBeGreaterThan(0);
      expect(tracker.close()).toMatchObject({ sent: 20, deliveries: expected, misses: 0, duplicates: 0, unauthorised: 0, unknown: 0, subscriptionErrors: 0 });
    } finally {
      await pool.close();
    }
    expect(await waitFor(() => server.live.count === 0, 5000)).toBe(true);
  });

  it('refuses a mutation from a clinician outside the care team with NOT_FOUND and stores nothing', async () => {
    const outsider = world.subscribers.find((s) => s.decoy)!;
    const before = await storedUpdates();
    const res = await fetch(`http://${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${outsider.token}` },
      body: JSON.stringify({ query: 'mutation($input: LogMoodInput!) { logMood(input: $input) { id } }', variables: { input: { patientId: world.patients[0], score: 3 } } }),
    });
    const body = (await res.json()) as { data: unknown; errors: Array<{ extensions: { code: string } }> };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    expect(await storedUpdates()).toBe(before);
  });

  it('refuses a mutation without a valid token with UNAUTHENTICATED', async () => {
    const res = await fetch(`http://${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ query: 'mutation { logMood(input: { patientId: "00000000-0000-4000-8000-000000000000", score: 3 }) { id } }' }),
    });
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('closes a subscriber whose token does not verify with 4403', async () => {
    const socket = new WebSocket(`ws://${url}`, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not-a-token' } })));
    const code = await new Promise<number>((resolve) => socket.on('close', resolve));
    expect(code).toBe(4403);
  });
});
