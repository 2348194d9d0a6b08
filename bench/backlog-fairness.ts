/**
 * Benchmark: alert latency of a live tenant while another tenant's backlog is being evaluated.
 *
 * One server instance. The busy tenant logs `BENCH_BACKLOG` EPDS screenings (default 10,000, every
 * one evaluated by the built-in protocols, none matching) while the alerting worker is stopped,
 * as after an outage or a bulk import; then the worker starts and, while it works through that
 * backlog, a quiet tenant's patients submit `BENCH_LIVE` EPDS screenings with a positive self-harm
 * item, one every `BENCH_LIVE_INTERVAL_MS`. Latency runs from the mutation's response to the
 * CRITICAL alert's arrival at the quiet tenant's mental-health specialist over graphql-ws. Also
 * reports how long the backlog took to drain. A live alert that never arrives fails the run
 * (exit code 1) after the results are printed.
 *
 * Run: `npm run bench` runs it among the other measurements; alone, after
 * `npx tsc -p bench/tsconfig.json`: `node dist/bench/backlog-fairness.js`. Embedded PGlite by
 * default; with BENCH_DATABASE_URL=postgres://… a scratch database on that server, dropped
 * afterwards. Prints one JSON object and a Markdown table on stdout.
 */
import 'reflect-metadata';
import { ALERTS, alertingTeam, epdsAnswers, type AlertEventPayload } from '../test/alerting/alerting-helpers.js';
import { TestTenant, type TestPatient } from '../test/helpers/builders.js';
import { gqlOk, wsClient } from '../test/helpers/graphql-client.js';
import { waitForLiveSince } from '../test/helpers/live.js';
import { rawSql, type TestServer } from '../test/helpers/test-server.js';
import { startInProcessServer } from './lib/in-process-server.js';
import { latencyHistogram, recordMs, summarise } from './lib/latency.js';

const intOption = (name: string, fallback: number) => (Number(process.env[name]) > 0 ? Number(process.env[name]) : fallback);
const backlog = intOption('BENCH_BACKLOG', 10_000);
const liveCount = intOption('BENCH_LIVE', 20);
const liveIntervalMs = intOption('BENCH_LIVE_INTERVAL_MS', 250);
/** Mutations in flight while the backlog is written. */
const WRITERS = 8;

const SUBMIT = 'mutation($input: SubmitScreeningInput!) { submitScreening(input: $input) { id } }';

function submit(ts: TestServer, patient: TestPatient, item10: number): Promise<{ submitScreening: { id: string } }> {
  return gqlOk(ts.url, SUBMIT, { input: { patientId: patient.id, instrument: 'EPDS', answers: epdsAnswers(item10) } }, patient.user!.token);
}

async function cursorOf(ts: TestServer, tenantId: string): Promise<{ cursor: number; seq: number }> {
  const [row] = await rawSql(ts, 'select c.last_seq::int as cursor, t.event_seq::int as seq from alerting_cursor c join tenant t on t.id = c.tenant_id where t.id = ?', [tenantId]);
  return { cursor: Number(row?.['cursor'] ?? 0), seq: Number(row?.['seq'] ?? 0) };
}

async function main(): Promise<void> {
  const { server, ts, close } = await startInProcessServer('cradle_bench_backlog', { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3600' });
  let failed = false;
  try {
    const busy = await TestTenant.create(ts);
    const busyTeam = await alertingTeam(busy);
    const quiet = await TestTenant.create(ts);
    const quietTeam = await alertingTeam(quiet);
    const others = await Promise.all(Array.from({ length: liveCount - 1 }, () => quiet.patient(quietTeam.coordinator, { team: [quietTeam.mentalHealth], withLogin: true })));
    const livePatients = [quietTeam.patient, ...others];
    const client = wsClient(ts.wsUrl, quietTeam.mentalHealth.token);
    const sentAt = new Map<string, number>();
    const histogram = latencyHistogram();
    const arrived = new Set<string>();
    let allArrived: () => void = () => undefined;
    const everyAlert = new Promise<void>((resolve) => (allArrived = resolve));
    const before = server.services.feed.openedCount;
    client.subscribe<AlertEventPayload>({ query: ALERTS }, {
      next: ({ data }) => {
        const now = performance.now();
        for (const { id } of data?.alerts.alert.evidence ?? []) {
          const at = sentAt.get(id);
          if (at === undefined || arrived.has(id)) continue;
          arrived.add(id);
          recordMs(histogram, now - at);
          if (arrived.size === liveCount) allArrived();
        }
      },
      error: () => undefined,
      complete: () => undefined,
    });
    await waitForLiveSince(ts, before);

    // The backlog: written while the worker is stopped, as after an outage or a bulk import.
    await server.services.alerting.stop();
    const writeStarted = performance.now();
    let written = 0;
    await Promise.all(Array.from({ length: WRITERS }, async () => {
      while (written < backlog) {
        written += 1;
        await submit(ts, busyTeam.patient, 0);
      }
    }));
    const writeSeconds = (performance.now() - writeStarted) / 1000;

    const drainStarted = performance.now();
    server.services.alerting.start();
    for (const patient of livePatients) {
      const { submitScreening } = await submit(ts, patient, 3);
      sentAt.set(submitScreening.id, performance.now());
      await new Promise((resolve) => setTimeout(resolve, liveIntervalMs));
    }
    let drainSeconds: number | null = null;
    let liveDoneWhileBusy = false;
    for (const deadline = performance.now() + 900_000; performance.now() < deadline;) {
      const { cursor, seq } = await cursorOf(ts, busy.id);
      if (arrived.size === liveCount && cursor < seq) liveDoneWhileBusy = true;
      if (cursor >= seq) {
        drainSeconds = (performance.now() - drainStarted) / 1000;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.race([everyAlert, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    await client.dispose();
    const latency = summarise(histogram);
    const result = { backlog, writeSeconds, drainSeconds, live: liveCount, liveArrived: arrived.size, liveDoneWhileBusy, latencyMs: latency };
    console.log(JSON.stringify(result, null, 2));
    console.log('| Backlog (busy tenant) | Written in s | Drained in s | Live alerts (quiet tenant) | p50 ms | p99 ms | max ms | All live alerts before the backlog drained |');
    console.log('|--:|--:|--:|--:|--:|--:|--:|---|');
    const fmt = (n: number | null) => (n === null ? '–' : n.toFixed(1));
    console.log(`| ${backlog} | ${fmt(writeSeconds)} | ${fmt(drainSeconds)} | ${arrived.size}/${liveCount} | ${fmt(latency.p50Ms)} | ${fmt(latency.p99Ms)} | ${fmt(latency.maxMs)} | ${liveDoneWhileBusy ? 'yes' : 'no'} |`);
    failed = arrived.size < liveCount || drainSeconds === null;
  } finally {
    await close();
  }
  if (failed) process.exitCode = 1;
}

await main();
