import { Agent, request } from 'node:http';
import type { DeliveryTracker } from './delivery-tracker.js';
import { latencyHistogram, recordMs, type LatencyHistogram } from './latency.js';

const LOG_MOOD = 'mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }';

/** One open-loop step: what was sent and how the mutation endpoint answered. */
export interface LoadResult {
  readonly targetRate: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Mutations answered successfully per second over the step. */
  readonly achievedRate: number;
  /** HTTP round trip of `logMood` (µs). */
  readonly latency: LatencyHistogram;
}

/** What an open-loop step needs. */
export interface LoadOptions {
  readonly url: string;
  readonly token: string;
  readonly patients: readonly string[];
  readonly fanOut: ReadonlyMap<string, number>;
  /** Mutations per second. */
  readonly rate: number;
  readonly durationMs: number;
  /** Characters of padding in each note, so a delivered frame is about 300 bytes. */
  readonly padding: number;
  readonly tracker: DeliveryTracker;
}

/**
 * Sends `logMood` mutations open-loop: at `rate` per second on a fixed schedule whatever the
 * server's answer time (a late timer sends the backlog at once), round-robin over the patients.
 * The send time is stamped just before the request is written; the note carries the event id.
 */
export async function runOpenLoop(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const target = new URL(options.url);
  const latency = latencyHistogram();
  const padding = 'x'.repeat(options.padding);
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const inFlight: Array<Promise<void>> = [];
  const send = (i: number) => {
    const patientId = options.patients[i % options.patients.length]!;
    const sentAt = performance.now();
    const id = options.tracker.expect(patientId, options.fanOut.get(patientId) ?? 0, sentAt);
    const body = JSON.stringify({ query: LOG_MOOD, variables: { input: { patientId, score: 1 + (i % 5), note: `b${id}|${padding}` } } });
    inFlight.push(
      new Promise<void>((resolve) => {
        const req = request(
          { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${options.token}` } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => {
              recordMs(latency, performance.now() - sentAt);
              if (res.statusCode === 200 && text.includes('"logMood":{"id"')) ok += 1;
              else {
                failed += 1;
                options.tracker.cancel(id);
              }
              resolve();
            });
          },
        );
        req.on('error', () => {
          failed += 1;
          options.tracker.cancel(id);
          resolve();
        });
        req.end(body);
      }),
    );
  };
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * options.rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(1, Math.min(10, 1000 / options.rate / 2)));
    };
    tick();
  });
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { targetRate: options.rate, sent, ok, failed, achievedRate: ok / Math.max(seconds, options.durationMs / 1000), latency };
}
