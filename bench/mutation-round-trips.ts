/**
 * Benchmark companion: database round trips per mutation. Counts every query the server's
 * node-postgres clients send (requests, the outbox relay, protocol evaluation, the audit writer,
 * the compliance monitor: everything the server does because of the mutations) while a patient
 * logs `BENCH_MUTATIONS` moods one after another over HTTP, once the server is idle, and reports
 * the count per mutation, grouped by statement. The target is one round trip on the request path;
 * background work should cost a small constant per batch.
 *
 * Run: `npm run bench` runs it among the other measurements; alone, after
 * `npx tsc -p bench/tsconfig.json`: `BENCH_DATABASE_URL=postgres://… node dist/bench/mutation-round-trips.js`
 * (PostgreSQL only: PGlite sends no wire queries). Prints one JSON object and a Markdown table.
 */
import 'reflect-metadata';
import pg from 'pg';
import { TestTenant } from '../test/helpers/builders.js';
import { gqlOk } from '../test/helpers/graphql-client.js';
import { startInProcessServer } from './lib/in-process-server.js';

const mutations = Number(process.env['BENCH_MUTATIONS']) > 0 ? Number(process.env['BENCH_MUTATIONS']) : 200;

/** Every query text sent since counting began, with how often. */
const sent = new Map<string, number>();
let counting = false;

/** A statement's text as a short, stable label: whitespace folded, quoted literals and numbers replaced. */
function label(query: unknown): string {
  const text = typeof query === 'string' ? query : typeof query === 'object' && query !== null && 'text' in query ? String((query as { text: unknown }).text) : '(other)';
  return text
    .replace(/\s+/g, ' ')
    .replace(/'[^']*'/g, '?')
    .replace(/\b\d+\b/g, 'N')
    .trim()
    .slice(0, 90);
}

const originalQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  if (counting) sent.set(label(args[0]), (sent.get(label(args[0])) ?? 0) + 1);
  return originalQuery.apply(this, args);
} as typeof pg.Client.prototype.query;

const LOG_MOOD = 'mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }';

async function main(): Promise<void> {
  if (!process.env['BENCH_DATABASE_URL']) {
    process.stdout.write(`${JSON.stringify({ skipped: 'needs BENCH_DATABASE_URL (PostgreSQL)' })}\n`);
    return;
  }
  const instance = await startInProcessServer('bench_round_trips');
  try {
    const tenant = await TestTenant.create(instance.ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const midwife = await tenant.user('MIDWIFE');
    const patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    const token = patient.user!.token;
    const log = (score: number) => gqlOk(instance.ts.url, LOG_MOOD, { input: { patientId: patient.id, score } }, token);
    for (let i = 0; i < 20; i++) await log(3);
    await instance.server.services.alerting.runDue();
    counting = true;
    const started = performance.now();
    for (let i = 0; i < mutations; i++) await log(1 + (i % 5));
    await instance.server.services.alerting.runDue();
    const seconds = (performance.now() - started) / 1000;
    counting = false;
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    const statements = [...sent].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([statement, count]) => ({ statement, perMutation: Math.round((count / mutations) * 100) / 100 }));
    const result = { mutations, seconds: Math.round(seconds * 100) / 100, queriesPerMutation: Math.round((total / mutations) * 100) / 100, statements };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stdout.write(`| Statement | Per mutation |\n|---|--:|\n| **all** | **${result.queriesPerMutation}** |\n`);
    for (const row of statements) process.stdout.write(`| \`${row.statement.replace(/\|/g, '\\|')}\` | ${row.perMutation} |\n`);
  } finally {
    await instance.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
