/** Receives the messages published on one channel. */
export type BusHandler = (message: string) => void;

/**
 * Carries messages between server instances: in-process for a single instance, Redis pub/sub
 * across several. Delivery is at-most-once and best effort; durability comes from the outbox in
 * PostgreSQL, from which subscribers can always resume.
 */
export interface EventBus {
  readonly kind: 'memory' | 'redis';
  /** Publishes a message; rejects if the bus cannot take it now (the outbox relay then retries). */
  publish(channel: string, message: string): Promise<void>;
  /** Subscribes to a channel; resolves once the subscription is active, with a function that ends it. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  /**
   * Registers a callback run after the bus reconnects following an outage, during which messages may
   * have been missed; subscribers use it to catch up from the outbox.
   */
  onReconnect(callback: () => void): () => void;
  /** Whether the bus is reachable now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Channel names, in one place. Channels carry ids only, never PHI. */
export const Channels = {
  /** Committed status-update and alert events of one tenant (a JSON array of {@link import('./outbox-relay.js').PublishedEvent}, in cursor order). */
  tenantEvents: (tenantId: string) => `tenant:${tenantId}:events`,
  /** Access changes of one tenant (care-team membership), so live subscriptions re-check at once. */
  tenantAccess: (tenantId: string) => `tenant:${tenantId}:access`,
  /**
   * Sessions that ended (logout, rotation, refresh-token reuse, expiry found on a request), for all
   * tenants (JSON {@link import('../auth/session-ended.js').SessionsEnded}: session ids and a
   * reason), so every instance closes the WebSockets authenticated with them.
   */
  sessionsEnded: 'sessions:ended',
  /**
   * Mailbox news of one tenant (JSON {@link import('../crypto/signal/mailbox-news.js').MailboxNews}:
   * a device row id and envelope sequence numbers, never bodies), so the instance holding the
   * device's `inbox` subscription loads and delivers new envelopes.
   */
  tenantMailbox: (tenantId: string) => `tenant:${tenantId}:mailbox`,
} as const;
