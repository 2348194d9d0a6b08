import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wsClient } from '../helpers/graphql-client.js';
import { PATIENT_UPDATES, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { markersIn, MARKERS, overWebSocket, READ_PATIENT, runHttpOperations, seedPhi } from './observability-fixtures.js';

/** A span as OTLP/JSON carries it, with only what the test reads. */
interface ExportedSpan {
  readonly name: string;
  readonly kind: number;
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: { readonly stringValue?: string } }>;
  readonly status?: { readonly code?: number };
}

/** A minimal OTLP/HTTP collector: keeps every body posted to `/v1/traces`, answers 200. */
class OtlpReceiver {
  readonly bodies: string[] = [];
  readonly contentTypes: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        this.bodies.push(Buffer.concat(chunks).toString('utf8'));
        this.contentTypes.push(req.headers['content-type'] ?? '');
        this.headers.push(req.headers);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  readonly headers: Array<Record<string, unknown>> = [];

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Every span received, from every export. */
  spans(): ExportedSpan[] {
    return this.bodies.flatMap((body) => {
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }> };
      return parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    });
  }
}

/** A span's attributes as a plain object of their string values. */
function attributesOf(span: ExportedSpan): Record<string, string | undefined> {
  return Object.fromEntries(span.attributes.map((a) => [a.key, a.value.stringValue]));
}

describe('OpenTelemetry tracing', () => {
  const receiver = new OtlpReceiver();
  let ts: TestServer;
  let ids: string[] = [];

  beforeAll(async () => {
    const endpoint = await receiver.start();
    ts = await startTestServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'cradle-test', OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=probe%20value' } });
    const fixture = await seedPhi(ts);
    ids = [fixture.markedPatientId, fixture.patient.id, fixture.coordinator.id];
    await runHttpOperations(ts, fixture);
    const client = wsClient(ts.wsUrl, fixture.coordinator.token);
    const read = await overWebSocket(client, READ_PATIENT, { id: fixture.markedPatientId });
    expect(read.data?.['patient']?.familyName).toBe(MARKERS.familyName);
    const live = await subscribeLive(ts, client, PATIENT_UPDATES.replace('subscription(', 'subscription LiveUpdates('), { patientIds: [fixture.markedPatientId] });
    live.stop();
    await client.dispose();
    // Closing the server shuts its tracer provider down, which waits for the last export.
    await ts.close();
  });
  afterAll(async () => {
    await ts?.close();
    await receiver.close();
  });

  it('exports one span per operation over HTTP and WebSocket, named by type and name, with code attributes', () => {
    expect(receiver.contentTypes.every((t) => t.includes('application/json'))).toBe(true);
    const spans = receiver.spans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const reads = byName('query patient');
    expect(reads.map((s) => attributesOf(s)['cradle.transport']).sort()).toEqual(['http', 'ws']);
    expect(attributesOf(reads[0]!)).toMatchObject({ 'graphql.operation.type': 'query', 'cradle.graphql.root_fields': 'patient', 'cradle.graphql.code': 'OK' });
    const refused = byName('mutation logMood');
    expect(refused).toHaveLength(1);
    expect(attributesOf(refused[0]!)).toMatchObject({ 'cradle.graphql.code': 'BAD_USER_INPUT', 'error.type': 'BAD_USER_INPUT' });
    expect(refused[0]!.status?.code).toBe(2);
    const invalid = spans.filter((s) => attributesOf(s)['cradle.graphql.code'] === 'GRAPHQL_VALIDATION_FAILED');
    expect(invalid.map((s) => [s.name, attributesOf(s)['cradle.graphql.root_fields']])).toEqual([['GraphQL Operation', 'other']]);
    expect(byName('subscription patientUpdates').map((s) => attributesOf(s)['cradle.transport'])).toEqual(['ws']);
    expect(spans.every((s) => s.kind === 2)).toBe(true);
  });

  it('sends the configured service name and headers to the collector', () => {
    expect(receiver.bodies.join('')).toContain('"cradle-test"');
    expect(receiver.headers.every((h) => h['x-collector-token'] === 'probe value')).toBe(true);
  });

  it('puts no PHI, ids, variables or query text in what it exports', () => {
    const payload = receiver.bodies.join('\n');
    expect(receiver.spans().length).toBeGreaterThanOrEqual(6);
    expect(markersIn(payload)).toEqual([]);
    for (const id of ids) expect(payload).not.toContain(id);
    expect(payload).not.toContain('patient(');
    expect(payload).not.toContain('score');
  });
});

describe('tracing to a collector that never answers', () => {
  const held: IncomingMessage[] = [];
  let exportArrived: () => void;
  const arrived = new Promise<void>((resolve) => (exportArrived = resolve));
  const silent = createServer((req) => {
    held.push(req);
    exportArrived();
  });
  let ts: TestServer;

  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    ts = await startTestServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
  });
  afterAll(async () => {
    await ts?.close();
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('still answers requests, and shuts down within the export timeout', async () => {
    const res = await fetch(ts.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Ping { __typename }' }) });
    expect(((await res.json()) as { data: unknown }).data).toEqual({ __typename: 'Query' });
    const started = performance.now();
    const closed = ts.close();
    await arrived;
    await closed;
    expect(held.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(9000);
    expect(ts.logs.some((line) => line.includes('the last spans could not be exported'))).toBe(true);
  }, 20_000);
});
