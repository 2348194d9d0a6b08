import { Redis } from 'ioredis';
import type { AppLogger } from '../logger.js';
import type { BusHandler, EventBus } from './event-bus.js';

/**
 * How long a publish or ping may wait for Redis's reply, in milliseconds. A command in flight when
 * the connection drops is otherwise held until Redis is back, which would stall the outbox relay's
 * transaction and make `/readyz` hang instead of answering "unavailable".
 */
const COMMAND_TIMEOUT_MS = 1000;

/** One subscribed channel: its handlers, and the SUBSCRIBE every caller waits for. */
interface ChannelSubscription {
  readonly handlers: Set<BusHandler>;
  readonly active: Promise<unknown>;
}

/**
 * The bus across instances: Redis pub/sub over two connections (a subscriber connection cannot
 * publish). Channel names are prefixed so several deployments or test runs can share one Redis.
 *
 * Publishing fails fast while Redis is down (no offline queue, and a reply timeout for a command
 * caught by the drop), so the outbox relay keeps the event and retries. The subscriber connection
 * reconnects on its own; this class then subscribes every channel again and runs the reconnect
 * callbacks after Redis has acknowledged that and before handing on any message received since.
 * Both halves matter to a catch-up from the outbox: started earlier, it could read the database
 * before the subscription is active and miss what is published in between; started after a newer
 * message was delivered, it would resume after that message and skip the gap before it.
 * Each connection logs one warning per outage, not one per reconnect attempt.
 */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channels = new Map<string, ChannelSubscription>();
  private readonly reconnectCallbacks = new Set<() => void>();
  /** Connections lost since they were last ready (each outage is logged once). */
  private readonly lost = new Set<'publisher' | 'subscriber'>();
  /** Messages received while a resubscription is in progress, handed on after the reconnect callbacks. */
  private held: Array<[channel: string, message: string]> | null = null;
  private closing = false;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly logger: AppLogger,
  ) {
    const common = {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 2000),
    };
    this.publisher = new Redis(url, { ...common, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS, connectionName: 'cradle-pub' });
    this.subscriber = new Redis(url, { ...common, enableOfflineQueue: true, autoResubscribe: false, connectionName: 'cradle-sub' });
    for (const [name, connection] of [['publisher', this.publisher], ['subscriber', this.subscriber]] as const) {
      const lose = (err?: Error) => {
        if (this.closing || this.lost.has(name)) return;
        this.lost.add(name);
        this.logger.warn({ connection: name, err }, 'redis connection lost; reconnecting');
      };
      connection.on('error', lose);
      connection.on('close', () => lose());
      connection.on('ready', () => {
        if (!this.lost.delete(name)) return;
        this.logger.info({ connection: name }, 'redis connection restored');
        if (connection === this.subscriber) void this.resubscribe();
      });
    }
    this.subscriber.on('message', (prefixedChannel: string, message: string) => {
      const channel = prefixedChannel.slice(this.prefix.length);
      if (this.held) this.held.push([channel, message]);
      else this.dispatch(channel, message);
    });
  }

  /** Resolves once both connections are ready, or rejects after `timeoutMs`. */
  async ready(timeoutMs = 5000): Promise<void> {
    const waitFor = (connection: Redis) =>
      connection.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('Redis did not become ready in time.')), timeoutMs);
            connection.once('ready', () => {
              clearTimeout(timer);
              resolve();
            });
          });
    await Promise.all([waitFor(this.publisher), waitFor(this.subscriber)]);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    let subscription = this.channels.get(channel);
    if (!subscription) {
      const created: ChannelSubscription = { handlers: new Set(), active: this.subscriber.subscribe(this.prefix + channel) };
      this.channels.set(channel, created);
      created.active.catch(() => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
      });
      subscription = created;
    }
    const { handlers, active } = subscription;
    handlers.add(handler);
    try {
      await active;
    } catch (err) {
      handlers.delete(handler);
      throw err;
    }
    return async () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.channels.get(channel) === subscription) {
        this.channels.delete(channel);
        await this.subscriber.unsubscribe(this.prefix + channel).catch(() => undefined);
      }
    };
  }

  onReconnect(callback: () => void): () => void {
    this.reconnectCallbacks.add(callback);
    return () => this.reconnectCallbacks.delete(callback);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.publisher.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.channels.clear();
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  /**
   * After the subscriber connection is back: subscribes every channel again, runs the reconnect
   * callbacks, then hands on the messages held meanwhile. If the SUBSCRIBE fails, the held messages
   * are dropped (the catch-up after the next reconnect reads them from the outbox) and the
   * connection is dropped so that reconnect happens, rather than leaving channels unsubscribed.
   */
  private async resubscribe(): Promise<void> {
    const held: Array<[string, string]> = [];
    this.held = held;
    const release = () => {
      if (this.held === held) this.held = null;
    };
    const channels = [...this.channels.keys()].map((channel) => this.prefix + channel);
    try {
      if (channels.length > 0) await this.subscriber.subscribe(...channels);
    } catch (err) {
      release();
      if (this.closing) return;
      this.logger.warn({ err }, 'could not resubscribe after a redis reconnect; reconnecting again');
      if (this.subscriber.status === 'ready') this.subscriber.disconnect(true);
      return;
    }
    release();
    if (this.closing) return;
    this.logger.info({ channels: channels.length }, 'redis subscriber resubscribed; subscribers catch up from the outbox');
    for (const callback of this.reconnectCallbacks) {
      try {
        callback();
      } catch (err) {
        this.logger.error({ err }, 'a redis reconnect callback failed');
      }
    }
    for (const [channel, message] of held) this.dispatch(channel, message);
  }

  private dispatch(channel: string, message: string): void {
    const subscription = this.channels.get(channel);
    if (subscription) for (const handler of [...subscription.handlers]) handler(message);
  }
}
