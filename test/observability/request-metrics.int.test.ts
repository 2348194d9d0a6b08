import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OPERATION_NAMES } from '../../src/observability/request-metrics.js';
import { gql, wsClient } from '../helpers/graphql-client.js';
import { logMood, PATIENT_UPDATES, subscribeLive } from '../helpers/live.js';
import { scrapeMetrics, startTestServer, type TestServer } from '../helpers/test-server.js';
import { BAD_MOOD, markersIn, MARKERS, overWebSocket, READ_PATIENT, runHttpOperations, seedPhi, type PhiFixture } from './observability-fixtures.js';

/** One sample of a Prometheus text exposition. */
interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of metric `name` (exactly that name, so `_bucket` and `_count` are asked for by name). */
function samples(text: string, name: string): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

/** The value of the sample of `name` with exactly these labels (0 when there is none). */
function valueOf(text: string, name: string, labels: Record<string, string>): number {
  const sample = samples(text, name).find((s) => Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? 0;
}

const requests = (text: string, labels: Record<string, string>) => valueOf(text, 'cradle_graphql_requests_total', labels);

describe('GraphQL request metrics', () => {
  let ts: TestServer;
  let fixture: PhiFixture;
  let client: Client;

  beforeAll(async () => {
    ts = await startTestServer();
    fixture = await seedPhi(ts);
    client = wsClient(ts.wsUrl, fixture.coordinator.token);
  });
  afterAll(async () => {
    await client?.dispose();
    await ts?.close();
  });

  it('counts a successful and a refused HTTP operation by type, name and code, with their latency', async () => {
    const before = await scrapeMetrics(ts);
    await runHttpOperations(ts, fixture);
    const after = await scrapeMetrics(ts);
    const ok = { transport: 'http', operation_type: 'query', operation: 'patient', code: 'OK' };
    const refused = { transport: 'http', operation_type: 'mutation', operation: 'logMood', code: 'BAD_USER_INPUT' };
    const invalid = { transport: 'http', operation_type: 'unknown', operation: 'other', code: 'GRAPHQL_VALIDATION_FAILED' };
    expect(requests(after, ok) - requests(before, ok)).toBe(1);
    expect(requests(after, refused) - requests(before, refused)).toBe(1);
    expect(requests(after, invalid) - requests(before, invalid)).toBe(1);
    expect(valueOf(after, 'cradle_graphql_request_duration_seconds_count', ok)).toBe(requests(after, ok));
    expect(valueOf(after, 'cradle_graphql_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(requests(after, ok));
    expect(samples(after, 'cradle_graphql_requests_total').map((s) => s.labels['operation'])).not.toContain(MARKERS.familyName);
  });

  it('counts WebSocket queries and refusals, and a subscription once when it starts, not per event', async () => {
    const before = await scrapeMetrics(ts);
    const read = await overWebSocket(client, READ_PATIENT, { id: fixture.markedPatientId });
    expect(read.data?.['patient']?.givenName).toBe(MARKERS.givenName);
    const bad = await overWebSocket(client, BAD_MOOD, { input: { patientId: fixture.markedPatientId, score: 9, note: MARKERS.note } });
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const live = await subscribeLive(ts, client, PATIENT_UPDATES.replace('subscription(', 'subscription LiveUpdates('), { patientIds: [fixture.patient.id] });
    await logMood(ts.url, fixture.patient);
    await logMood(ts.url, fixture.patient);
    await live.waitFor(2);
    const after = await scrapeMetrics(ts);
    live.stop();
    const diff = (labels: Record<string, string>) => requests(after, labels) - requests(before, labels);
    expect(diff({ transport: 'ws', operation_type: 'query', operation: 'patient', code: 'OK' })).toBe(1);
    expect(diff({ transport: 'ws', operation_type: 'mutation', operation: 'logMood', code: 'BAD_USER_INPUT' })).toBe(1);
    expect(diff({ transport: 'ws', operation_type: 'subscription', operation: 'patientUpdates', code: 'OK' })).toBe(1);
  });

  it('counts a WebSocket operation that fails validation as unknown and other, with its code', async () => {
    const before = await scrapeMetrics(ts);
    const invalid = await overWebSocket(client, `query ${MARKERS.givenName} { patient(id: "${MARKERS.mrn}") { nonsense } }`);
    expect(invalid.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    const after = await scrapeMetrics(ts);
    const labels = { transport: 'ws', operation_type: 'unknown', operation: 'other', code: 'GRAPHQL_VALIDATION_FAILED' };
    expect(requests(after, labels) - requests(before, labels)).toBe(1);
  });

  it('labels operations by their root fields, never by the operation name a client chose, however many names a client invents', async () => {
    const before = await scrapeMetrics(ts);
    const names = [MARKERS.givenName, MARKERS.familyName, ...Array.from({ length: MAX_OPERATION_NAMES + 10 }, (_, i) => `Probe${i}`)];
    for (let i = 0; i < names.length; i += 20) {
      const batch = await Promise.all(names.slice(i, i + 20).map((name) => gql(ts.url, `query ${name} { __typename }`)));
      for (const res of batch) expect(res.data?.['__typename']).toBe('Query');
    }
    const text = await scrapeMetrics(ts);
    const reported = new Set(samples(text, 'cradle_graphql_requests_total').map((s) => s.labels['operation']));
    const typename = { transport: 'http', operation_type: 'query', operation: '__typename', code: 'OK' };
    expect(requests(text, typename) - requests(before, typename)).toBe(names.length);
    expect(reported.has('Probe0')).toBe(false);
    expect(markersIn(text)).toEqual([]);
  });

  it('serves prom-client process metrics beside the request metrics', async () => {
    const text = await scrapeMetrics(ts);
    expect(samples(text, 'process_cpu_user_seconds_total')[0]?.value).toBeGreaterThan(0);
    expect(samples(text, 'nodejs_heap_size_used_bytes')[0]?.value).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  });

  it('carries no PHI anywhere in /metrics after operations whose variables, literals and answers carry it', async () => {
    await runHttpOperations(ts, fixture);
    await overWebSocket(client, BAD_MOOD, { input: { patientId: fixture.markedPatientId, score: 9, note: MARKERS.note } });
    const text = await scrapeMetrics(ts);
    expect(requests(text, { transport: 'http', operation_type: 'query', operation: 'patient', code: 'OK' })).toBeGreaterThan(0);
    expect(markersIn(text)).toEqual([]);
    expect(text).not.toContain(fixture.markedPatientId);
    expect(text).not.toContain(fixture.patient.id);
  });
});

describe('process metrics with two servers in one process', () => {
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    [first, second] = await Promise.all([startTestServer(), startTestServer()]);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it('serves process metrics on each, and each server counts only its own requests', async () => {
    await gql(first.url, 'query OnlyOnFirst { __typename }');
    const [a, b] = await Promise.all([scrapeMetrics(first), scrapeMetrics(second)]);
    for (const text of [a, b]) expect(samples(text, 'nodejs_heap_size_used_bytes')[0]?.value).toBeGreaterThan(0);
    const labels = { transport: 'http', operation_type: 'query', operation: '__typename', code: 'OK' };
    expect(requests(a, labels)).toBe(1);
    expect(requests(b, labels)).toBe(0);
  });
});
