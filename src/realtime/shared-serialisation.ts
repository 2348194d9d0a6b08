import type { WebSocket } from 'ws';
import type { LiveMetrics } from './live-metrics.js';

/**
 * Serialises each shared live result once for all its subscribers, not once per subscriber.
 *
 * graphql-ws builds every `next` message as `{ id, type, payload }` and serialises the whole of it
 * per subscriber: the payload, the same for every subscriber that shares an execution (see
 * `shared-execution.ts`), would be turned into JSON again for each. Here the message's JSON
 * replacer ({@link SharedPayloads.replacer}, graphql-ws's `jsonMessageReplacer`) swaps a `next`
 * payload for a placeholder and looks its JSON up by the payload's `data` object (serialised on
 * first use and kept in a WeakMap, so it goes with the event); the socket's `send`
 * ({@link SharedPayloads.attach}) puts that JSON where the placeholder is. graphql-ws calls `send`
 * with the string right after serialising it, in the same synchronous step, so the JSON waiting is
 * always the one of the message being sent.
 *
 * Only plain results are shared (`data` and nothing else); a payload with errors or extensions is
 * serialised as graphql-ws would.
 */
export class SharedPayloads {
  private readonly serialised = new WeakMap<object, string>();
  private waiting: string | null = null;

  /** graphql-ws's `jsonMessageReplacer` (JSON.stringify passes the object holding `key` as `this`). */
  readonly replacer: (this: unknown, key: string, value: unknown) => unknown;

  constructor(private readonly metrics: LiveMetrics) {
    const shared = this;
    this.replacer = function (key, value) {
      return shared.replace(this, key, value);
    };
  }

  private replace(holder: unknown, key: string, value: unknown): unknown {
    if (key !== 'payload' || (holder as { type?: unknown } | null)?.type !== 'next' || typeof value !== 'object' || value === null) return value;
    const payload = value as { data?: unknown; errors?: unknown; extensions?: unknown };
    if (payload.errors !== undefined || payload.extensions !== undefined || typeof payload.data !== 'object' || payload.data === null) return value;
    let json = this.serialised.get(payload.data);
    if (json === undefined) {
      json = `{"data":${JSON.stringify(payload.data)}}`;
      this.serialised.set(payload.data, json);
      this.metrics.payloadSerialisations.inc();
    }
    this.waiting = json;
    return PLACEHOLDER;
  }

  /** Makes `socket.send` put the waiting payload's JSON in place of the placeholder. */
  attach(socket: WebSocket): void {
    const send = socket.send.bind(socket) as (data: unknown, options?: unknown, cb?: unknown) => void;
    (socket as { send: (data: unknown, options?: unknown, cb?: unknown) => void }).send = (data, options, cb) => {
      const json = this.waiting;
      if (json !== null && typeof data === 'string') {
        this.waiting = null;
        // The payload is the message's last member, and the placeholder cannot occur in the id
        // (its quotes would be escaped there).
        const at = data.lastIndexOf(PLACEHOLDER_JSON);
        if (at >= 0) data = data.slice(0, at) + json + data.slice(at + PLACEHOLDER_JSON.length);
      }
      send(data, options, cb);
    };
  }
}

const PLACEHOLDER = '\u0000cradle:shared-payload\u0000';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);
