import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import { ServerChild } from '../lib/child.js';
import { DeliveryTracker } from '../lib/delivery-tracker.js';
import { summarise, type LatencySummary } from '../lib/latency.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One broadcast rate of the raw `ws` floor. */
export interface WsFloorStep {
  readonly rate: number;
  readonly deliveriesPerSec: number;
  readonly delivery: LatencySummary;
  readonly lastSubscriber: LatencySummary;
  readonly cpuUsPerDelivery: number | null;
  readonly misses: number;
  readonly keptUp: boolean;
}

/** The raw `ws` broadcast floor. */
export interface WsFloorResult {
  readonly sockets: number;
  readonly rssPerSocketBytes: number;
  readonly heapPerSocketBytes: number;
  readonly steps: readonly WsFloorStep[];
}

/**
 * Floor 1: a raw `ws` server broadcasting a pre-serialised message to `sockets` plain sockets at
 * each rate (broadcasts per second), measured like the GraphQL systems (latency from the command
 * to receipt, server CPU per delivery, memory per idle socket after a forced GC).
 */
export async function wsFloor(entry: string, sockets: number, rates: readonly number[], stepMs: number, drainMs: number, padding: number): Promise<WsFloorResult> {
  const server = await ServerChild.start(entry, { BENCH_PAYLOAD_PADDING: String(padding) });
  const tracker = new DeliveryTracker(Array.from({ length: sockets }, () => new Set(['floor'])));
  const clients: WebSocket[] = [];
  try {
    const before = await server.stats({ gc: true });
    for (let start = 0; start < sockets; start += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, sockets - start) }, (_, k) => {
          const index = start + k;
          return new Promise<void>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: false });
            clients.push(socket);
            socket.on('open', () => resolve());
            socket.on('error', reject);
            socket.on('message', (data: Buffer) => tracker.onFrame(index, data.toString('utf8'), performance.now()));
          });
        }),
      );
    }
    while ((await server.stats({})).subscriptions < sockets) await sleep(50);
    const idle = await server.stats({ gc: true });
    const steps: WsFloorStep[] = [];
    for (const rate of rates) {
      tracker.reset();
      const cpuBefore = server.cpu();
      const started = performance.now();
      const total = Math.max(1, Math.round((rate * stepMs) / 1000));
      let sent = 0;
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
        while (sent < due) {
          const id = tracker.expect('floor', sockets, performance.now());
          server.send({ type: 'broadcast', id });
          sent += 1;
        }
        await sleep(Math.max(1, Math.min(10, 1000 / rate / 2)));
      }
      const deadline = performance.now() + drainMs;
      while (tracker.outstanding() > 0 && performance.now() < deadline) await sleep(20);
      const elapsedSec = (performance.now() - started) / 1000;
      const cpuUsed = server.cpu() - cpuBefore;
      const counts = tracker.close();
      const delivery = summarise(tracker.latency);
      const keptUp = counts.misses === 0 && (delivery.p99Ms ?? 0) < 1000;
      steps.push({
        rate,
        deliveriesPerSec: Math.round(counts.deliveries / elapsedSec),
        delivery,
        lastSubscriber: summarise(tracker.lastSubscriber),
        cpuUsPerDelivery: counts.deliveries > 0 ? Math.round((cpuUsed / counts.deliveries) * 100) / 100 : null,
        misses: counts.misses,
        keptUp,
      });
      if (!keptUp) break;
    }
    return {
      sockets,
      rssPerSocketBytes: Math.round((idle.rss - before.rss) / sockets),
      heapPerSocketBytes: Math.round((idle.heapUsed - before.heapUsed) / sockets),
      steps,
    };
  } finally {
    for (const socket of clients) socket.terminate();
    await server.stop();
  }
}

/** The PostgreSQL floor. */
export interface PgbenchResult {
  readonly clients: number;
  readonly seconds: number;
  readonly tps: number;
  readonly latencyAvgMs: number;
}

/**
 * Floor 2: `pgbench` running Cradle's write as raw SQL (take the tenant's next cursor, insert the
 * status update, insert its outbox event, in one transaction), copying a row the ORM wrote so the
 * stored bytes (encrypted `data` included) are the real ones. `dbUrl` names a scratch database that
 * already holds one ORM-written update (`updateId`, cursor `seq`) of `tenantId`.
 */
export async function pgbenchFloor(dbUrl: string, tenantId: string, updateId: string, seq: number, clients: number, seconds: number): Promise<PgbenchResult> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  const columns = async (table: string) =>
    (await client.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position`, [table])).rows.map((r) => r.column_name);
  const updateColumns = await columns('status_update');
  const outboxColumns = (await columns('outbox_event')).filter((c) => c !== 'id');
  await client.end();
  const fresh = (c: string) => (c === 'id' ? 'gen_random_uuid()' : c === 'seq' ? ':seq' : c === 'created_at' || c === 'recorded_at' ? 'now()' : `"${c}"`);
  const freshOutbox = (c: string) => (c === 'seq' ? ':seq' : c === 'created_at' ? 'now()' : c === 'published_at' ? 'null' : `"${c}"`);
  const script = [
    'BEGIN;',
    `UPDATE tenant SET event_seq = event_seq + 1 WHERE id = '${tenantId}' RETURNING event_seq AS seq \\gset`,
    `INSERT INTO status_update (${updateColumns.map((c) => `"${c}"`).join(', ')}) SELECT ${updateColumns.map(fresh).join(', ')} FROM status_update WHERE id = '${updateId}';`,
    `INSERT INTO outbox_event (${outboxColumns.map((c) => `"${c}"`).join(', ')}) SELECT ${outboxColumns.map(freshOutbox).join(', ')} FROM outbox_event WHERE tenant_id = '${tenantId}' AND seq = ${seq};`,
    'COMMIT;',
    '',
  ].join('\n');
  const file = join(tmpdir(), `cradle-bench-${process.pid}-${Date.now()}.sql`);
  writeFileSync(file, script);
  const { stdout } = await run('pgbench', ['-n', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), '-f', file, dbUrl], { maxBuffer: 1 << 20 });
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const latencyAvgMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
  if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps: ${stdout.slice(-500)}`);
  return { clients, seconds, tps: Math.round(tps), latencyAvgMs };
}

/** The HTTP floor. */
export interface HttpFloorResult {
  readonly connections: number;
  readonly seconds: number;
  readonly requestsPerSec: number;
  readonly latencyP99Ms: number;
}

/** Floor 3: a bare Node HTTP handler loaded by `autocannon` (its own process) with a `logMood`-sized POST. */
export async function httpFloor(entry: string, autocannonBin: string, connections: number, seconds: number): Promise<HttpFloorResult> {
  const server = await ServerChild.start(entry, {});
  try {
    const body = JSON.stringify({ query: 'mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }', variables: { input: { patientId: crypto.randomUUID(), score: 3, note: 'x'.repeat(120) } } });
    const { stdout } = await run(process.execPath, [autocannonBin, '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '-j', `http://127.0.0.1:${server.port}/graphql`], { maxBuffer: 16 << 20 });
    const result = JSON.parse(stdout) as { requests: { average: number }; latency: { p99: number } };
    return { connections, seconds, requestsPerSec: Math.round(result.requests.average), latencyP99Ms: result.latency.p99 };
  } finally {
    await server.stop();
  }
}
