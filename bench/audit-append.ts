/**
 * Benchmark: what the audit trail costs a request, and what group commit buys.
 *
 * 1. Writer: appends one-record entries from many concurrent callers (as concurrent requests do)
 *    and from one caller at a time, and reports records per second and records per transaction.
 * 2. Requests: a real server answers `patient(id)` over HTTP from concurrent clients, selecting
 *    only `id` (no PHI field: nothing is audited) and selecting `givenName familyName` (one audit
 *    record per request, written before the response); reports requests per second and latency.
 *
 * Run (no npm script; tsx is not installed, so compile first):
 *   npx tsc -p tsconfig.json --noEmit false --outDir dist/bench-build; node dist/bench-build/bench/audit-append.js
 * Embedded PGlite by default; with BENCH_DATABASE_URL=postgres://… a scratch database is created
 * on that server and dropped afterwards. Options (environment): BENCH_CONCURRENCY (default 32),
 * BENCH_RECORDS (writer records per case, 2000), BENCH_SECONDS (per request case, 5).
 * Prints one JSON object and a Markdown table on stdout.
 */
import 'reflect-metadata';
import type { AuditEntryInput } from '../src/audit/audit-entry.js';
import { loadConfig } from '../src/config.js';
import { createServer } from '../src/server.js';
import { TestTenant } from '../test/helpers/builders.js';
import { gql } from '../test/helpers/graphql-client.js';
import type { TestServer } from '../test/helpers/test-server.js';
import { scratchDatabase } from './lib/scratch-database.js';

const concurrency = Number(process.env['BENCH_CONCURRENCY']) > 0 ? Number(process.env['BENCH_CONCURRENCY']) : 32;
const records = Number(process.env['BENCH_RECORDS']) > 0 ? Number(process.env['BENCH_RECORDS']) : 2000;
const seconds = Number(process.env['BENCH_SECONDS']) > 0 ? Number(process.env['BENCH_SECONDS']) : 5;
const serverUrl = process.env['BENCH_DATABASE_URL'] || null;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function main(): Promise<void> {
  const db = await scratchDatabase(serverUrl);
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    CRADLE_METRICS_PORT: '0',
    CRADLE_IN_MEMORY_DB: 'true',
    CRADLE_DEMO_SEED: 'false',
    LOG_LEVEL: 'silent',
    CRADLE_TOKEN_SECRET: `bench-secret-${crypto.randomUUID()}`,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
  };
  const server = await createServer(loadConfig(env));
  try {
    const ts = { url: server.url, wsUrl: server.wsUrl, metricsUrl: server.metricsUrl, server, logs: [], env, close: () => server.close() } satisfies TestServer;
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const patient = await tenant.patient(coordinator);

    // 1. The writer alone.
    const audit = server.services.audit;
    const entry: AuditEntryInput = {
      tenantId: tenant.id,
      actor: { type: 'USER', userId: coordinator.id, role: 'CARE_COORDINATOR', sessionId: null },
      patientId: patient.id,
      action: 'READ',
      fields: ['Patient.givenName', 'Patient.familyName'],
      purpose: 'TREATMENT',
      outcome: 'ALLOWED',
      requestId: 'bench',
      clientIp: '127.0.0.1',
      userAgent: 'bench',
      details: {},
    };
    const writer = async (callers: number) => {
      const before = audit.stats;
      const started = performance.now();
      let left = records;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (left > 0) {
            left -= 1;
            await audit.append([entry]);
          }
        }),
      );
      const ms = performance.now() - started;
      const batches = audit.stats.batches - before.batches;
      return { callers, records, recordsPerSecond: Math.round((records / ms) * 1000), recordsPerTransaction: +(records / batches).toFixed(1) };
    };
    const serialWriter = await writer(1);
    const groupWriter = await writer(concurrency);

    // 2. Requests with and without an audited field.
    const run = async (query: string) => {
      const latencies: number[] = [];
      let resets = 0;
      const until = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const t0 = performance.now();
            // A keep-alive socket the server closes as the client reuses it resets; count and retry.
            const res = await gql(server.url, query, { id: patient.id }, coordinator.token).catch(() => null);
            if (!res) {
              resets += 1;
              continue;
            }
            if (res.errors) throw new Error(JSON.stringify(res.errors));
            latencies.push(performance.now() - t0);
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      return { requests: latencies.length, connectionResets: resets, requestsPerSecond: Math.round(latencies.length / seconds), p50Ms: +percentile(latencies, 0.5).toFixed(1), p95Ms: +percentile(latencies, 0.95).toFixed(1) };
    };
    const unaudited = await run(`query($id: ID!) { patient(id: $id) { id } }`);
    const audited = await run(`query($id: ID!) { patient(id: $id) { givenName familyName } }`);
    const result = {
      backend: server.database.kind,
      concurrency,
      writer: { serial: serialWriter, groupCommit: groupWriter },
      requests: { unaudited, audited, throughputCostPercent: +(100 * (1 - audited.requestsPerSecond / unaudited.requestsPerSecond)).toFixed(1) },
    };
    process.stdout.write(`${JSON.stringify(result)}\n\n`);
    process.stdout.write(`| case | rate | p50 ms | p95 ms | records/tx |\n|---|---|---|---|---|\n`);
    process.stdout.write(`| writer, 1 caller | ${serialWriter.recordsPerSecond} rec/s | | | ${serialWriter.recordsPerTransaction} |\n`);
    process.stdout.write(`| writer, ${concurrency} callers | ${groupWriter.recordsPerSecond} rec/s | | | ${groupWriter.recordsPerTransaction} |\n`);
    process.stdout.write(`| patient(id) { id } (not audited) | ${unaudited.requestsPerSecond} req/s | ${unaudited.p50Ms} | ${unaudited.p95Ms} | |\n`);
    process.stdout.write(`| patient(id) { givenName familyName } (audited) | ${audited.requestsPerSecond} req/s | ${audited.p50Ms} | ${audited.p95Ms} | |\n`);
  } finally {
    await server.close();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
