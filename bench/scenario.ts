import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { ServerChild } from './lib/child.js';
import { DeliveryTracker, type DeliveryCounts } from './lib/delivery-tracker.js';
import { summarise, type LatencySummary } from './lib/latency.js';
import { runOpenLoop } from './lib/load-generator.js';
import { churn, SubscriberPool } from './lib/subscriber-pool.js';
import type { EntitlementShape, SeededWorld } from './seed.js';
import { systemById, type SystemId } from './systems.js';

export type { SystemId } from './systems.js';

/** What every round shares: where PostgreSQL and Redis are, the compiled entries, the server secrets. */
export interface BenchEnvironment {
  /** A PostgreSQL URL whose user may create databases (the maintenance database). */
  readonly postgresUrl: string;
  readonly redisUrl: string;
  /** Unique per run; names databases and Redis prefixes. */
  readonly runId: string;
  /** Directory of the compiled bench (`dist/bench`). */
  readonly distBench: string;
  /** Server secrets shared by the seed and every server (tokens and field keys must match). */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** When set, every server child writes a V8 CPU profile into this directory when it stops. */
  readonly cpuProfileDir: string | null;
}

/** Timing knobs of a round. */
export interface RoundKnobs {
  /** Open-loop mutation rates per second, stepped up; a step that does not keep up ends the stepping. */
  readonly rates: readonly number[];
  readonly stepMs: number;
  /** Longest wait for outstanding deliveries after a step; later ones count as late. */
  readonly drainMs: number;
  /** After a step that fell behind, how long late deliveries may still arrive before they count as missed. */
  readonly recoveryMs: number;
  /** Unmeasured mutations sent first, so JIT compilation and pool warm-up stay out of the numbers. */
  readonly warmupMutations: number;
  readonly churnMs: number;
  /** Slow-consumer run length (0: none). */
  readonly slowConsumerMs: number;
  readonly slowConsumerRate: number;
  /** Note padding so that a delivered frame is about 300 bytes. */
  readonly padding: number;
}

/** One rate step of one round. */
export interface StepResult {
  readonly rate: number;
  readonly mutationsSent: number;
  readonly mutationsFailed: number;
  readonly mutationsPerSec: number;
  readonly mutationP99Ms: number | null;
  readonly delivery: LatencySummary;
  readonly lastSubscriber: LatencySummary;
  readonly deliveriesPerSec: number;
  /** Server CPU (all instances) divided by deliveries, and by mutations, in microseconds. */
  readonly cpuUsPerDelivery: number | null;
  readonly cpuUsPerMutation: number | null;
  readonly eventLoopP99Ms: number;
  readonly counts: DeliveryCounts;
  /** Deliveries still outstanding when the drain window closed (they may arrive later; `counts.misses` never did). */
  readonly late: number;
  /** Every delivery arrived within the drain window, no mutation failed and p99 stayed under 1 s. */
  readonly keptUp: boolean;
}

/** What one round of one system measured. */
export interface RoundResult {
  readonly system: SystemId;
  readonly shape: EntitlementShape;
  readonly topics: number;
  readonly instances: number;
  readonly subscribers: number;
  readonly round: number;
  /** Memory per idle subscription after a forced GC (all instances), in bytes. */
  readonly rssPerSubscriptionBytes: number;
  readonly heapPerSubscriptionBytes: number;
  readonly steps: readonly StepResult[];
  readonly churnPerSec: number;
  readonly slowConsumer: SlowConsumerResult | null;
}

/** A subscriber stopped reading while the others went on. */
export interface SlowConsumerResult {
  readonly durationMs: number;
  readonly rate: number;
  /** Server RSS growth over the stall (all instances), in bytes. */
  readonly rssGrowthBytes: number;
  /** The other subscribers' delivery latency during the stall. */
  readonly othersP99Ms: number | null;
  readonly othersMisses: number;
  /** Whether the server cut the stalled reader off (Cradle closes it with 4408; it resumes with `since`). */
  readonly stalledReaderDisconnected: boolean;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key under `prefix`. */
export async function clearRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await condition()) return true;
    await sleep(pollMs);
  }
  return condition();
}

/** Longest a step's backlog may go on draining after the recovery window, while it drains. */
const BACKLOG_CAP_MS = 120_000;
/** How long a backlog may make no progress before what is still outstanding counts as missed. */
const BACKLOG_STALL_MS = 5000;

/**
 * Waits for outstanding deliveries: `recoveryMs`, then on for as long as they keep arriving (up to
 * {@link BACKLOG_CAP_MS}). A system that fell behind is still delivering: what it delivers late
 * counts as late, and only what stops arriving (for {@link BACKLOG_STALL_MS}) counts as missed.
 */
async function drainBacklog(tracker: DeliveryTracker, recoveryMs: number): Promise<void> {
  if (await waitFor(() => tracker.outstanding() === 0, recoveryMs, 100)) return;
  const cap = performance.now() + BACKLOG_CAP_MS;
  let outstanding = tracker.outstanding();
  while (outstanding > 0 && performance.now() < cap) {
    const before = outstanding;
    await waitFor(() => tracker.outstanding() < before, BACKLOG_STALL_MS, 100);
    outstanding = tracker.outstanding();
    if (outstanding >= before) return;
  }
}

/**
 * Runs one round of one system on a fresh copy of the seeded template database and a fresh Redis
 * prefix: starts the instances, connects every subscriber (split across instances), measures idle
 * memory, steps the mutation rate (mutations to the first instance), measures churn and, when
 * asked, a slow consumer; then stops everything and drops the copy.
 */
export async function runRound(
  env: BenchEnvironment,
  system: SystemId,
  world: SeededWorld,
  template: string,
  instances: number,
  round: number,
  knobs: RoundKnobs,
): Promise<RoundResult> {
  const dbName = `${template}_r${round}_${system.toLowerCase()}_${instances}`;
  const prefix = `bench:${env.runId}:${dbName}:`;
  await adminQuery(env.postgresUrl, `create database "${dbName}" template "${template}"`);
  const dbUrl = new URL(env.postgresUrl);
  dbUrl.pathname = `/${dbName}`;
  const serverEnv = {
    ...env.serverEnv,
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: env.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    ...systemById(system).env,
  };
  const servers: ServerChild[] = [];
  const tracker = new DeliveryTracker(world.subscribers.map((s) => s.entitled));
  const pool = new SubscriberPool(tracker);
  try {
    for (let i = 0; i < instances; i++) servers.push(await ServerChild.start(join(env.distBench, systemById(system).entry), serverEnv, env.cpuProfileDir && join(env.cpuProfileDir, `${system}-${world.spec.shape}-${instances}-r${round}`)));
    const wsUrls = servers.map((s) => `ws://127.0.0.1:${s.port}/graphql`);
    const httpUrl = `http://127.0.0.1:${servers[0]!.port}/graphql`;
    const cpu = () => servers.reduce((sum, s) => sum + s.cpu(), 0);
    const stats = (options: { gc?: boolean; reset?: boolean }) => Promise.all(servers.map((s) => s.stats(options)));

    const before = await stats({ gc: true });
    await pool.connect(wsUrls, world.subscribers.map((s) => s.token));
    const expected = world.subscribers.length;
    const live = await waitFor(async () => (await stats({})).reduce((n, s) => n + s.subscriptions, 0) >= expected, 60_000, 100);
    if (!live) throw new Error(`${system}: not every subscription became live within 60 s`);
    await sleep(300);
    const idle = await stats({ gc: true });
    const n = world.subscribers.length;
    const rssPerSubscriptionBytes = Math.round(idle.reduce((sum, s, i) => sum + s.rss - before[i]!.rss, 0) / n);
    const heapPerSubscriptionBytes = Math.round(idle.reduce((sum, s, i) => sum + s.heapUsed - before[i]!.heapUsed, 0) / n);

    if (knobs.warmupMutations > 0) {
      const rate = Math.max(knobs.rates[0]!, 20);
      await runOpenLoop({ url: httpUrl, token: world.writerToken, patients: world.patients, fanOut: world.fanOut, rate, durationMs: (knobs.warmupMutations * 1000) / rate, padding: knobs.padding, tracker });
      await waitFor(() => tracker.outstanding() === 0, knobs.recoveryMs, 50);
    }

    for (const server of servers) server.startProfile();
    const steps: StepResult[] = [];
    for (const rate of knobs.rates) {
      tracker.reset();
      await stats({ reset: true });
      const cpuBefore = cpu();
      const started = performance.now();
      const load = await runOpenLoop({ url: httpUrl, token: world.writerToken, patients: world.patients, fanOut: world.fanOut, rate, durationMs: knobs.stepMs, padding: knobs.padding, tracker });
      await waitFor(() => tracker.outstanding() === 0, knobs.drainMs);
      const elapsedSec = (performance.now() - started) / 1000;
      const cpuUsed = cpu() - cpuBefore;
      const after = await stats({});
      const late = tracker.outstanding();
      if (late > 0) await drainBacklog(tracker, knobs.recoveryMs);
      const counts = tracker.close();
      const delivery = summarise(tracker.latency);
      const mutationP99Ms = summarise(load.latency).p99Ms;
      const keptUp = late === 0 && load.failed === 0 && (delivery.p99Ms ?? 0) < 1000;
      steps.push({
        rate,
        mutationsSent: load.sent,
        mutationsFailed: load.failed,
        mutationsPerSec: round2(load.achievedRate),
        mutationP99Ms,
        delivery,
        lastSubscriber: summarise(tracker.lastSubscriber),
        deliveriesPerSec: round2(counts.deliveries / Math.max(elapsedSec, knobs.stepMs / 1000)),
        cpuUsPerDelivery: counts.deliveries > 0 ? round2(cpuUsed / counts.deliveries) : null,
        cpuUsPerMutation: load.ok > 0 ? round2(cpuUsed / load.ok) : null,
        eventLoopP99Ms: round2(Math.max(...after.map((s) => s.eventLoopP99Ms))),
        counts,
        late,
        keptUp,
      });
      if (!keptUp) break;
    }

    const slowConsumer = knobs.slowConsumerMs > 0 ? await slowConsumerRun(world, pool, tracker, httpUrl, stats, knobs) : null;
    const churnPerSec = knobs.churnMs > 0 ? round2(await churn(wsUrls[0]!, world.subscribers.filter((s) => s.decoy).map((s) => s.token), 10, knobs.churnMs)) : 0;
    return {
      system, shape: world.spec.shape, topics: world.spec.topics, instances, subscribers: n, round,
      rssPerSubscriptionBytes, heapPerSubscriptionBytes, steps, churnPerSec, slowConsumer,
    };
  } finally {
    await pool.close();
    for (const server of servers) await server.stop();
    await adminQuery(env.postgresUrl, `drop database if exists "${dbName}" with (force)`);
    await clearRedisPrefix(env.redisUrl, prefix);
  }
}

/** Stalls the first entitled subscriber for `slowConsumerMs` under load and measures the server and the others. */
async function slowConsumerRun(
  world: SeededWorld,
  pool: SubscriberPool,
  tracker: DeliveryTracker,
  httpUrl: string,
  stats: (options: { gc?: boolean; reset?: boolean }) => Promise<Array<{ rss: number }>>,
  knobs: RoundKnobs,
): Promise<SlowConsumerResult> {
  const stalled = world.subscribers.findIndex((s) => !s.decoy);
  tracker.reset();
  tracker.excuse(stalled);
  const rssBefore = (await stats({ gc: true })).reduce((sum, s) => sum + s.rss, 0);
  pool.pause(stalled);
  await runOpenLoop({ url: httpUrl, token: world.writerToken, patients: world.patients, fanOut: world.fanOut, rate: knobs.slowConsumerRate, durationMs: knobs.slowConsumerMs, padding: knobs.padding, tracker });
  await waitFor(() => tracker.outstanding() === 0, knobs.drainMs);
  const rssAfter = (await stats({ gc: true })).reduce((sum, s) => sum + s.rss, 0);
  const disconnected = !pool.isOpen(stalled);
  pool.resume(stalled);
  // The others' backlog (every system falls behind at this rate) is late, not missed, while it drains.
  await drainBacklog(tracker, 0);
  const counts = tracker.close();
  return {
    durationMs: knobs.slowConsumerMs,
    rate: knobs.slowConsumerRate,
    rssGrowthBytes: rssAfter - rssBefore,
    othersP99Ms: summarise(tracker.latency).p99Ms,
    othersMisses: counts.misses,
    stalledReaderDisconnected: disconnected,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
