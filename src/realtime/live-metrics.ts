import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one server instance, served as text at `/metrics`. One registry per server
 * (no global default registry), so several servers in one process keep separate counts. Labels
 * never carry ids or anything else about a patient.
 */
export class LiveMetrics {
  readonly registry = new Registry();
  /** Open WebSocket connections. */
  readonly sockets = new Gauge({ name: 'cradle_ws_connections', help: 'Open WebSocket connections.', registers: [this.registry] });
  /** Live subscriptions (one socket may hold several). */
  readonly subscriptions: Gauge;
  /** Outbox events the relay published to the bus. */
  readonly eventsPublished = new Counter({ name: 'cradle_events_published_total', help: 'Outbox events published to the bus.', registers: [this.registry] });
  /** Relay passes that failed (bus down); the events are retried. */
  readonly relayFailures = new Counter({ name: 'cradle_relay_failures_total', help: 'Relay passes that could not publish and will retry.', registers: [this.registry] });
  /** Events handed to a subscriber's send buffer, by kind. */
  readonly eventsDelivered = new Counter({
    name: 'cradle_events_delivered_total',
    help: 'Status-update events handed to live subscribers.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Seconds from an update's commit to its hand-over to a live subscriber. */
  readonly deliveryLag = new Histogram({
    name: 'cradle_delivery_lag_seconds',
    help: 'Seconds from commit to hand-over to a live subscriber.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** GraphQL executions of live events (shared by subscribers with the same operation and grant). */
  readonly liveExecutions = new Counter({
    name: 'cradle_live_executions_total',
    help: 'GraphQL executions of live events; subscribers with the same operation and grant share one.',
    registers: [this.registry],
  });
  /** Live results serialised to JSON (once per shared result, whatever the number of its subscribers). */
  readonly payloadSerialisations = new Counter({
    name: 'cradle_live_payload_serialisations_total',
    help: 'Live results serialised to JSON; subscribers sharing a result share its JSON.',
    registers: [this.registry],
  });
  /** Subscribers cut off because their send buffer filled up. */
  readonly slowConsumersDropped = new Counter({
    name: 'cradle_slow_consumers_dropped_total',
    help: 'Subscribers disconnected because their bounded send buffer filled up.',
    registers: [this.registry],
  });

  /** @param countSubscriptions reads the live subscription count at scrape time */
  constructor(countSubscriptions: () => number) {
    this.subscriptions = new Gauge({
      name: 'cradle_live_subscriptions',
      help: 'Active live subscriptions on this instance.',
      registers: [this.registry],
      collect() {
        this.set(countSubscriptions());
      },
    });
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
