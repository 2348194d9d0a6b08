import { Redis } from 'ioredis';
import type { AppLogger } from '../logger.js';
import type { BusHandler, EventBus } from './event-bus.js';

/**
 * The bus across instances: Redis pub/sub over two connections (a subscriber connection cannot
 * publish). Channel names are prefixed so several deployments or test runs can share one Redis.
 * Publishing fails fast while Redis is down (no offline queue), so the outbox relay keeps the event
 * and retries; the subscriber connection reconnects and resubscribes on its own.
 */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channels = new Map<string, Set<BusHandler>>();
  private readonly reconnectCallbacks = new Set<() => void>();
  private wasDisconnected = false;

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
    this.publisher = new Redis(url, { ...common, enableOfflineQueue: false, connectionName: 'cradle-pub' });
    this.subscriber = new Redis(url, { ...common, enableOfflineQueue: true, connectionName: 'cradle-sub' });
    for (const [name, connection] of [['publisher', this.publisher], ['subscriber', this.subscriber]] as const) {
      connection.on('error', (err: Error) => this.logger.warn({ connection: name, err }, 'redis connection error'));
    }
    this.subscriber.on('close', () => {
      this.wasDisconnected = true;
    });
    this.subscriber.on('ready', () => {
      if (!this.wasDisconnected) return;
      this.wasDisconnected = false;
      this.logger.info('redis subscriber reconnected; subscribers catch up from the outbox');
      for (const callback of this.reconnectCallbacks) callback();
    });
    this.subscriber.on('message', (prefixedChannel: string, message: string) => {
      const handlers = this.channels.get(prefixedChannel.slice(this.prefix.length));
      if (handlers) for (const handler of [...handlers]) handler(message);
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
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
      await this.subscriber.subscribe(this.prefix + channel);
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.channels.get(channel) === handlers) {
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
    this.channels.clear();
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
