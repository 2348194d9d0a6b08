/**
 * Benchmark: Signal messages relayed per second and their end-to-end latency (encrypt → sendMessage
 * → inbox delivery → decrypt), with real libsignal clients from the kit (`src/crypto/client/`) on a
 * real server over HTTP and graphql-ws.
 *
 * A patient with one device (her phone) and her midwife with two (desk and phone); every message
 * the patient sends is one `sendMessage` with an envelope per midwife device, every message the
 * midwife's desk sends one with an envelope for the patient's phone and a copy for the midwife's
 * phone. Sessions are started (PreKey messages) before measuring. Two phases:
 * 1. ping-pong: `BENCH_EXCHANGES` exchanges, one message in flight (the patient writes, the desk
 *    decrypts and answers, the phone decrypts): the latency of an idle conversation;
 * 2. stream: both senders send `BENCH_EXCHANGES` messages each back to back without waiting for
 *    delivery: the relay throughput, and the latency under that load.
 * Latency runs from just before the sender's kit encrypts to just after the recipient device's kit
 * decrypted (one process, one clock), per envelope. Every receiving device must decrypt every
 * message meant for it exactly once: a lost, duplicated or failed message fails the run
 * (exit code 1) after the results are printed.
 *
 * Run: `npm run bench` runs it among the other measurements (the smoke profile too, with few
 * exchanges); alone, after `npx tsc -p bench/tsconfig.json`: `node dist/bench/messaging-relay.js`.
 * Embedded PGlite by default; with BENCH_DATABASE_URL=postgres://… a scratch database on that
 * server, dropped afterwards. One server instance, in-process bus. Options (environment):
 * BENCH_EXCHANGES (per phase, default 200), BENCH_DRAIN_MS (wait for stragglers, default 10000).
 * Prints one JSON object and a Markdown table on stdout.
 */
import 'reflect-metadata';
import { GraphQLMessagingApi } from '../src/crypto/client/messaging-api.js';
import { SecureMessagingClient, type InboxItem } from '../src/crypto/client/secure-messaging-client.js';
import { TestTenant, type TestUser } from '../test/helpers/builders.js';
import { latencyHistogram, recordMs, summarise, type LatencyHistogram, type LatencySummary } from './lib/latency.js';
import { startInProcessServer } from './lib/in-process-server.js';

const exchanges = Number(process.env['BENCH_EXCHANGES']) > 0 ? Number(process.env['BENCH_EXCHANGES']) : 200;
const drainMs = Number(process.env['BENCH_DRAIN_MS']) > 0 ? Number(process.env['BENCH_DRAIN_MS']) : 10_000;

/** A device under measurement: its kit, and what it must still receive. */
interface Device {
  readonly label: string;
  readonly kit: SecureMessagingClient;
  readonly received: Set<string>;
  stop: () => void;
}

/** The outcome of one phase. */
interface PhaseResult {
  readonly phase: string;
  readonly messagesSent: number;
  readonly envelopesRelayed: number;
  readonly seconds: number;
  readonly envelopesPerSecond: number;
  readonly sendsPerSecond: number;
  readonly latency: LatencySummary;
  readonly lost: number;
  readonly duplicated: number;
  /** Envelopes that failed to decrypt, and errors of the inbox subscription or of acknowledging. */
  readonly failed: number;
}

/**
 * Tracks messages in flight: when each was handed to its sender's kit, which devices must decrypt
 * it, and what arrived (latency, duplicates, failures). Message ids travel inside the plaintext.
 */
class RelayTracker {
  private readonly sentAt = new Map<string, number>();
  private readonly pending = new Map<string, Set<string>>();
  private waiters: Array<() => void> = [];
  histogram: LatencyHistogram = latencyHistogram();
  duplicated = 0;
  failed = 0;
  relayed = 0;

  /** Starts a new phase's counts (what a previous phase still awaited was counted lost there). */
  reset(): void {
    this.pending.clear();
    this.histogram = latencyHistogram();
    this.duplicated = this.failed = this.relayed = 0;
  }

  expect(id: string, devices: readonly Device[]): void {
    this.sentAt.set(id, performance.now());
    this.pending.set(id, new Set(devices.map((d) => d.label)));
  }

  /** What `listen` hands a device. */
  arrived(device: Device, item: InboxItem): void {
    const now = performance.now();
    if (!item.ok) {
      this.failed += 1;
      return;
    }
    const id = item.message.text.split('|')[0]!;
    if (device.received.has(id)) {
      this.duplicated += 1;
      return;
    }
    device.received.add(id);
    const waiting = this.pending.get(id);
    if (!waiting?.delete(device.label)) return;
    this.relayed += 1;
    recordMs(this.histogram, now - this.sentAt.get(id)!);
    if (waiting.size === 0) this.pending.delete(id);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves when `id` (or every message, without it) has reached all its devices, or after `timeoutMs`. */
  async delivered(id: string | null, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (id === null ? this.pending.size > 0 : this.pending.has(id)) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Deliveries still outstanding. */
  get lost(): number {
    return [...this.pending.values()].reduce((n, devices) => n + devices.size, 0);
  }
}

const padding = 'How are you sleeping? Any bleeding, fever or low mood since yesterday? '.repeat(2);

async function main(): Promise<void> {
  // The stream sends hundreds of messages per sender back to back, far past a person's pace and
  // the default send rate; the bench measures the relay, not the limits.
  const { server, ts, onPostgres, close } = await startInProcessServer('cradle_bench_messaging', {
    CRADLE_MESSAGING_SEND_ENVELOPES_PER_MINUTE: '1000000',
    CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: String(1024 * 1024 * 1024),
  });
  const apis: GraphQLMessagingApi[] = [];
  const devices: Device[] = [];
  try {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const midwifeUser = await tenant.user('MIDWIFE');
    const patientUser = (await tenant.patient(coordinator, { team: [midwifeUser], withLogin: true })).user!;

    const tracker = new RelayTracker();
    const device = async (label: string, user: TestUser): Promise<Device> => {
      const api = new GraphQLMessagingApi(server.url, server.wsUrl, () => user.token);
      apis.push(api);
      const kit = SecureMessagingClient.withNewIdentity(api, user.id, { preKeyBatch: 10 });
      await kit.register();
      const d: Device = { label, kit, received: new Set(), stop: () => undefined };
      d.stop = kit.listen((item) => tracker.arrived(d, item), { onError: () => (tracker.failed += 1) });
      devices.push(d);
      return d;
    };
    const phone = await device('patient phone', patientUser);
    const desk = await device('midwife desk', midwifeUser);
    const midwifePhone = await device('midwife phone', midwifeUser);
    const toMidwife = [desk, midwifePhone];
    const toPatient = [phone, midwifePhone];

    let sequence = 0;
    const send = async (from: Device, to: readonly Device[], recipient: TestUser) => {
      const id = `m${++sequence}`;
      tracker.expect(id, to);
      await from.kit.sendText(recipient.id, `${id}|${padding}`);
      return id;
    };
    const exchange = async () => {
      await tracker.delivered(await send(phone, toMidwife, midwifeUser), drainMs);
      await tracker.delivered(await send(desk, toPatient, patientUser), drainMs);
    };
    const phase = async (name: string, messages: number, run: () => Promise<void>): Promise<PhaseResult> => {
      tracker.reset();
      const started = performance.now();
      await run();
      await tracker.delivered(null, drainMs);
      const seconds = (performance.now() - started) / 1000;
      return {
        phase: name,
        messagesSent: messages,
        envelopesRelayed: tracker.relayed,
        seconds: +seconds.toFixed(2),
        envelopesPerSecond: Math.round(tracker.relayed / seconds),
        sendsPerSecond: Math.round(messages / seconds),
        latency: summarise(tracker.histogram),
        lost: tracker.lost,
        duplicated: tracker.duplicated,
        failed: tracker.failed,
      };
    };

    const warmUp = await phase('session start (PreKey messages)', 4, async () => {
      for (let i = 0; i < 2; i++) await exchange();
    });
    const pingPong = await phase('ping-pong, one message in flight', exchanges * 2, async () => {
      for (let i = 0; i < exchanges; i++) await exchange();
    });
    const stream = await phase('stream, both sides sending back to back', exchanges * 2, async () => {
      await Promise.all([
        (async () => {
          for (let i = 0; i < exchanges; i++) await send(phone, toMidwife, midwifeUser);
        })(),
        (async () => {
          for (let i = 0; i < exchanges; i++) await send(desk, toPatient, patientUser);
        })(),
      ]);
    });
    const phases = [warmUp, pingPong, stream];
    const faults = phases.reduce((n, p) => n + p.lost + p.duplicated + p.failed, 0);

    process.stdout.write(`${JSON.stringify({ exchanges, devices: devices.map((d) => d.label), node: process.version, database: onPostgres ? 'postgresql' : 'pglite', phases, faults })}\n\n`);
    process.stdout.write('| phase | messages | envelopes relayed | envelopes/s | sends/s | e2e p50 ms | e2e p99 ms | max ms | lost | dup | failed |\n');
    process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|\n');
    for (const p of phases) {
      process.stdout.write(
        `| ${p.phase} | ${p.messagesSent} | ${p.envelopesRelayed} | ${p.envelopesPerSecond} | ${p.sendsPerSecond} | ${p.latency.p50Ms} | ${p.latency.p99Ms} | ${p.latency.maxMs} | ${p.lost} | ${p.duplicated} | ${p.failed} |\n`,
      );
    }
    if (faults > 0) {
      process.stderr.write(`CORRECTNESS: ${faults} lost, duplicated or failed messages; all must be 0\n`);
      process.exitCode = 1;
    }
  } finally {
    for (const d of devices) d.stop();
    await Promise.allSettled(apis.map((api) => api.close()));
    await close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
