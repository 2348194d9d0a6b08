import type { PubSub } from 'type-graphql';
import type { AppLogger } from '../logger.js';
import { BoundedQueue } from './bounded-queue.js';
import type { EventBus } from './event-bus.js';

/** Bounds of a topic subscription through this adapter. */
const TOPIC_BOUNDS = { maxItems: 1000, maxLagMs: 30_000 } as const;

/**
 * type-graphql's PubSub on Cradle's event bus, for topic-based subscriptions. Payloads are JSON and
 * cross Redis, so topics must carry ids only, never PHI. Cradle's own live feeds (status updates)
 * go through `LiveFeed`, which adds durability and per-subscriber authorisation on top of the bus.
 */
export class BusPubSub implements PubSub {
  constructor(
    private readonly bus: EventBus,
    private readonly logger: AppLogger,
  ) {}

  publish(routingKey: string, ...args: unknown[]): void {
    this.bus.publish(`pubsub:${routingKey}`, JSON.stringify(args[0] ?? null)).catch((err: unknown) => {
      this.logger.warn({ err }, 'pubsub publish failed');
    });
  }

  subscribe(routingKey: string, dynamicId?: unknown): AsyncIterable<unknown> {
    const channel = `pubsub:${routingKey}${dynamicId === undefined ? '' : `:${String(dynamicId)}`}`;
    let unsubscribe: (() => Promise<void>) | null = null;
    let ended = false;
    const queue = new BoundedQueue<unknown>(
      TOPIC_BOUNDS,
      () => this.logger.warn('pubsub subscriber fell behind and was cut off'),
      () => {
        ended = true;
        void unsubscribe?.();
      },
    );
    void this.bus
      .subscribe(channel, (message) => queue.push(JSON.parse(message)))
      .then((stop) => {
        unsubscribe = stop;
        if (ended) void stop();
      });
    return queue;
  }
}
