import WebSocket from 'ws';
import type { DeliveryTracker } from './delivery-tracker.js';

/** The subscription every system is asked for (the same selection everywhere). */
export const SUBSCRIPTION = 'subscription { patientUpdates { cursor update { id kind recordedAt data } } }';

/** How many sockets connect at once. */
const CONNECT_CONCURRENCY = 100;

/**
 * Bench subscribers: raw `ws` sockets speaking graphql-transport-ws (init with the bearer token,
 * subscribe after the ack, answer pings), light enough that 10k fit in one process. Frames go to a
 * {@link DeliveryTracker} untouched.
 */
export class SubscriberPool {
  private readonly sockets: WebSocket[] = [];

  constructor(private readonly tracker: DeliveryTracker) {}

  /** Connects subscriber `i` with `tokens[i]` to `urls[i % urls.length]`; resolves when every one was acknowledged and has subscribed. */
  async connect(urls: readonly string[], tokens: readonly string[]): Promise<void> {
    for (let start = 0; start < tokens.length; start += CONNECT_CONCURRENCY) {
      const wave: Array<Promise<void>> = [];
      for (let i = start; i < Math.min(tokens.length, start + CONNECT_CONCURRENCY); i++) wave.push(this.open(i, urls[i % urls.length]!, tokens[i]!));
      await Promise.all(wave);
    }
  }

  private open(index: number, url: string, token: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
      this.sockets[index] = socket;
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('message', (data: Buffer) => {
        const frame = data.toString('utf8');
        if (frame.startsWith('{"type":"connection_ack"')) {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
          resolve();
          return;
        }
        if (frame.startsWith('{"type":"ping"')) {
          socket.send('{"type":"pong"}');
          return;
        }
        this.tracker.onFrame(index, frame, performance.now());
      });
      socket.on('error', reject);
      socket.on('close', (code) => reject(new Error(`subscriber ${index} closed with ${code} before it was acknowledged`)));
    });
  }

  /** Stops reading subscriber `index` (its kernel buffers fill, then the server's). */
  pause(index: number): void {
    this.sockets[index]?.pause();
  }

  /** Resumes reading subscriber `index`. */
  resume(index: number): void {
    this.sockets[index]?.resume();
  }

  /** Whether subscriber `index` is still open (a server may cut off a stalled reader). */
  isOpen(index: number): boolean {
    return this.sockets[index]?.readyState === WebSocket.OPEN;
  }

  /** Closes every socket and waits for them to close. */
  async close(): Promise<void> {
    await Promise.all(
      this.sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.terminate();
          }),
      ),
    );
    this.sockets.length = 0;
  }
}

/**
 * Subscribe/unsubscribe churn: `workers` loops each connect, init, subscribe, complete and close
 * for `durationMs`; returns completed cycles per second.
 */
export async function churn(url: string, tokens: readonly string[], workers: number, durationMs: number): Promise<number> {
  const deadline = performance.now() + durationMs;
  let cycles = 0;
  const cycle = (token: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('message', (data: Buffer) => {
        if (!data.toString('utf8').startsWith('{"type":"connection_ack"')) return;
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
        socket.send(JSON.stringify({ id: '1', type: 'complete' }));
        socket.close(1000);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await cycle(tokens[(w + i * workers) % tokens.length]!);
        cycles += 1;
      }
    }),
  );
  return cycles / ((performance.now() - start) / 1000);
}
