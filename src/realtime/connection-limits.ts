import type { OperationTypeNode } from 'graphql';
import type { WebSocketLimitsConfig } from '../config.js';
import { RateLimitedError } from '../errors.js';

/**
 * The caps of one WebSocket connection: how many subscriptions it may have open and how many
 * queries and mutations it may have executing at once. One per connection, asked about every
 * operation the client starts.
 *
 * What is open is read from graphql-ws's own record of the connection's operations (its
 * `ctx.subscriptions`: an entry from the moment a `subscribe` message arrives until the operation
 * ends, or at once when the client sends `complete`), so nothing here has to be told when an
 * operation ends. This only remembers which of those ids are subscriptions.
 */
export class ConnectionLimits {
  private readonly subscriptionIds = new Set<string>();

  constructor(private readonly limits: WebSocketLimitsConfig) {}

  /**
   * Admits operation `id` of kind `kind` (null when the document names no single operation), or
   * returns the RATE_LIMITED error it gets instead. An admitted subscription counts until its id
   * leaves `open`.
   *
   * @param open the connection's open operations by id, `id` itself included
   */
  admit(id: string, kind: OperationTypeNode | null, open: Readonly<Record<string, unknown>>): RateLimitedError | null {
    // An id is reused only after its operation ended (graphql-ws closes the socket otherwise).
    this.subscriptionIds.delete(id);
    let subscriptions = 0;
    for (const known of this.subscriptionIds) {
      if (known in open) subscriptions += 1;
      else this.subscriptionIds.delete(known);
    }
    if (kind === 'subscription') {
      if (subscriptions >= this.limits.maxSubscriptions) return RateLimitedError.subscriptionLimit(this.limits.maxSubscriptions);
      this.subscriptionIds.add(id);
      return null;
    }
    const others = Object.keys(open).length - subscriptions - (id in open ? 1 : 0);
    if (others >= this.limits.maxInFlightOperations) return RateLimitedError.inFlightOperationLimit(this.limits.maxInFlightOperations);
    return null;
  }
}
