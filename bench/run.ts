/**
 * `npm run bench`: Cradle (A) against the textbook stack (B1: one Redis topic + `withFilter`; B2:
 * one topic per patient) and the hardware floors (raw `ws` broadcast, `pgbench`, bare Node HTTP
 * under `autocannon`), in alternating rounds on the same PostgreSQL and Redis, never two systems
 * at once. Prints a Markdown table and writes it, with the full JSON, to `bench/results/`.
 *
 * `npm run bench` runs the default profile (about 15 minutes on 2 cores), `-- --full` the whole
 * matrix, `-- --smoke` a seconds-long check of the harness; add `--cpu-prof` to keep a V8 CPU profile
 * of every server process (see `bench/profile.ts` for the other options). Environment: BENCH_DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/postgres; the user must be able to create
 * databases), BENCH_REDIS_URL (default redis://127.0.0.1:6379). Every database and Redis key the
 * run creates is named after its run id and removed at the end.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/orm.js';
import { insertStatusUpdate } from '../src/status/status-update.service.js';
import { runExtras } from './extras.js';
import { httpFloor, pgbenchFloor, wsFloor, type HttpFloorResult, type PgbenchResult, type WsFloorResult } from './floors/floors.js';
import { profileFromArgs, type ScenarioSpec } from './profile.js';
import { renderMarkdown, type BenchReport } from './report.js';
import { runRound, type BenchEnvironment, type RoundResult } from './scenario.js';
import { seedWorld, signTokens, type SeededWorld } from './seed.js';

const distBench = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(distBench, '..', '..');
const postgresUrl = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env['BENCH_REDIS_URL'] || 'redis://127.0.0.1:6379';
const profile = profileFromArgs(process.argv.slice(2));
const startedAt = new Date();
const runId = `${startedAt.toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${randomBytes(3).toString('hex')}`;
const clock = performance.now();
/** The access-token lifetime every server of the run is configured with, and the seed signs with, in seconds. */
const TOKEN_TTL_SECONDS = 3600;
const progress = (message: string) => process.stderr.write(`[bench ${((performance.now() - clock) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

const env: BenchEnvironment = {
  postgresUrl,
  redisUrl,
  runId,
  distBench,
  serverEnv: {
    HOST: '127.0.0.1',
    PORT: '0',
    CRADLE_METRICS_PORT: '0',
    CRADLE_DEMO_SEED: 'false',
    CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    CRADLE_KEK: randomBytes(32).toString('base64'),
    // Tokens are re-signed before every round; an hour (the most the configuration allows) covers any round.
    CRADLE_ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS),
    LOG_LEVEL: 'info',
  },
  cpuProfileDir: process.argv.includes('--cpu-prof') ? join(repoRoot, 'bench', 'results', 'profiles', startedAt.toISOString().replace(/[:.]/g, '-')) : null,
};

function dbUrl(name: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Seeds one scenario's template database (copied for every round); returns what was seeded. */
async function seedTemplate(spec: ScenarioSpec): Promise<{ template: string; world: SeededWorld }> {
  const template = `bench_${runId}_${spec.shape}${spec.topics}_${spec.subscribers}`;
  await admin(`create database "${template}"`);
  const config = loadConfig({ ...env.serverEnv, DATABASE_URL: dbUrl(template) });
  const database = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true });
  try {
    const world = await seedWorld(database, config, { shape: spec.shape, subscribers: spec.subscribers, topics: spec.topics, decoyFraction: 0.1 });
    return { template, world };
  } finally {
    await database.close();
  }
}

/** pgbench on a scratch copy of `template` holding one ORM-written update to copy. */
async function pgbenchRound(template: string, world: SeededWorld, round: number): Promise<PgbenchResult> {
  const name = `${template}_pgbench${round}`;
  await admin(`create database "${name}" template "${template}"`);
  try {
    const config = loadConfig({ ...env.serverEnv, DATABASE_URL: dbUrl(name) });
    const database = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true });
    let update;
    try {
      update = await database.orm.em.fork().transactional((em) =>
        insertStatusUpdate(em, world.tenantId, world.subscribers[0]!.userId, {
          patientId: world.patients[0]!, infantId: null, kind: 'MOOD', recordedAt: new Date(), data: { score: 3, note: `b0|${'x'.repeat(profile.knobs.padding)}` },
        }),
      );
    } finally {
      await database.close();
    }
    return await pgbenchFloor(dbUrl(name), world.tenantId, update.id, update.seq, 4, profile.name === 'smoke' ? 2 : 5);
  } finally {
    await admin(`drop database if exists "${name}" with (force)`);
  }
}

async function machine(): Promise<Record<string, unknown>> {
  const [pgVersion] = await admin<{ server_version: string }>('show server_version');
  const redis = new Redis(redisUrl);
  const info = await redis.info('server');
  redis.disconnect();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: pgVersion?.server_version,
    redis: /redis_version:(\S+)/.exec(info)?.[1],
    note: 'PostgreSQL, Redis, the servers and the load generator with its subscribers all share this machine.',
  };
}

async function main(): Promise<void> {
  progress(`profile ${profile.name}: ${profile.scenarios.length} scenarios × ${profile.systems.join('/')} × ${profile.rounds} rounds, run ${runId}`);
  const templates: Array<{ spec: ScenarioSpec; template: string; world: SeededWorld }> = [];
  const rounds: RoundResult[] = [];
  const ws: WsFloorResult[] = [];
  const pgbench: PgbenchResult[] = [];
  const http: HttpFloorResult[] = [];
  const notes: string[] = [];
  try {
    const seeded = new Map<string, { template: string; world: SeededWorld }>();
    for (const spec of profile.scenarios) {
      const key = `${spec.shape}${spec.topics}_${spec.subscribers}`;
      if (!seeded.has(key)) {
        progress(`seeding ${key}`);
        seeded.set(key, await seedTemplate(spec));
      }
      templates.push({ spec, ...seeded.get(key)! });
    }
    for (let round = 1; round <= profile.rounds; round++) {
      for (const { spec, template, world } of templates) {
        for (const system of profile.systems) {
          progress(`round ${round}: ${system} ${spec.shape}${spec.topics > 1 ? `×${spec.topics}` : ''} ${spec.subscribers} subs ${spec.instances} inst.`);
          try {
            const fresh = await signTokens(world, loadConfig({ ...env.serverEnv, DATABASE_URL: dbUrl(template) }));
            const result = await runRound(env, system, fresh, template, spec.instances, round, { ...profile.knobs, slowConsumerMs: spec.slowConsumer ? profile.knobs.slowConsumerMs : 0 });
            rounds.push(result);
            const last = result.steps.at(-1);
            progress(`  ${result.steps.length} steps, last ${last?.rate}/s p99 ${last?.delivery.p99Ms} ms, misses ${result.steps.reduce((n, s) => n + s.counts.misses, 0)}`);
          } catch (err) {
            const message = `round ${round} ${system} ${spec.shape} ${spec.instances} inst. failed: ${err instanceof Error ? err.message : String(err)}`;
            notes.push(message);
            progress(message);
          }
        }
      }
      if (profile.floors) {
        progress(`round ${round}: floors`);
        ws.push(await wsFloor(join(distBench, 'floors/ws-broadcast-entry.js'), profile.floorSockets, profile.knobs.rates, profile.knobs.stepMs, profile.knobs.drainMs, profile.knobs.padding));
        pgbench.push(await pgbenchRound(templates[0]!.template, templates[0]!.world, round));
        http.push(await httpFloor(join(distBench, 'floors/http-entry.js'), join(repoRoot, 'node_modules', 'autocannon', 'autocannon.js'), 10, profile.name === 'smoke' ? 2 : 5));
      }
    }
  } finally {
    for (const template of new Set(templates.map((t) => t.template))) await admin(`drop database if exists "${template}" with (force)`).catch(() => undefined);
  }
  let extras: Record<string, unknown> = {};
  if (profile.extras) {
    progress('other measurements');
    extras = await runExtras(distBench, postgresUrl, profile.name);
  }
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    profile: { name: profile.name, rounds: profile.rounds, systems: profile.systems, scenarios: profile.scenarios, knobs: profile.knobs },
    machine: await machine(),
    rounds,
    floors: { ws, pgbench, http },
    extras,
    notes,
  };
  const markdown = renderMarkdown(report);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = `${startedAt.toISOString().replace(/[:.]/g, '-')}-${profile.name}`;
  writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${stamp}.md`), markdown);
  process.stdout.write(markdown);
  progress(`wrote bench/results/${stamp}.json and .md`);
  // Duplicates and unauthorised deliveries are defects in any system; a miss is one only in Cradle
  // (a baseline that falls too far behind loses events, which is a measurement, not a harness fault).
  const bad = rounds.flatMap((r) => r.steps.map((s) => s.counts.duplicates + s.counts.unauthorised + (r.system === 'A' ? s.counts.misses : 0))).reduce((a, b) => a + b, 0);
  if (bad > 0) {
    process.stderr.write(`CORRECTNESS: ${bad} duplicate, unauthorised or (Cradle) missed deliveries; all must be 0\n`);
    process.exitCode = 1;
  }
  // An extra that printed its results and then failed did so on a correctness check (the messaging
  // relay: a lost, duplicated or undecryptable message).
  const failedExtras = Object.entries(extras).filter(([, r]) => typeof r === 'object' && r !== null && 'failed' in r && 'json' in r);
  if (failedExtras.length > 0) {
    process.stderr.write(`CORRECTNESS: ${failedExtras.map(([name]) => name).join(', ')} failed its own checks\n`);
    process.exitCode = 1;
  }
}

/** Ctrl-C: drop this run's databases (the server children exit when the driver goes). */
process.once('SIGINT', () => {
  progress('interrupted: dropping this run\'s databases');
  admin<{ datname: string }>(`select datname from pg_database where datname like 'bench\\_${runId}%'`)
    .then(async (rows) => {
      for (const row of rows) await admin(`drop database if exists "${row.datname}" with (force)`);
    })
    .finally(() => process.exit(130));
});

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
