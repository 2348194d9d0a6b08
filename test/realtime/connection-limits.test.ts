import { OperationTypeNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import { ConnectionLimits } from '../../src/realtime/connection-limits.js';

/** graphql-ws's record of a connection's open operations, by id (only the keys matter here). */
type Open = Record<string, null>;

/** Starts `id` as graphql-ws does (its entry first, then the hook) and returns what the limits said. */
function start(limits: ConnectionLimits, open: Open, id: string, kind: OperationTypeNode): string | null {
  open[id] = null;
  const refused = limits.admit(id, kind, open);
  if (refused) delete open[id];
  return refused ? `${String(refused.extensions['code'])} ${String(refused.extensions['reason'])}` : null;
}

describe('ConnectionLimits', () => {
  it('admits subscriptions up to the cap, refuses the next with RATE_LIMITED, and admits again once one ends', () => {
    const limits = new ConnectionLimits({ maxSubscriptions: 2, maxInFlightOperations: 5 });
    const open: Open = {};
    expect(start(limits, open, 'a', OperationTypeNode.SUBSCRIPTION)).toBeNull();
    expect(start(limits, open, 'b', OperationTypeNode.SUBSCRIPTION)).toBeNull();
    expect(start(limits, open, 'c', OperationTypeNode.SUBSCRIPTION)).toBe('RATE_LIMITED SUBSCRIPTION_LIMIT');
    delete open['a'];
    expect(start(limits, open, 'c', OperationTypeNode.SUBSCRIPTION)).toBeNull();
    expect(start(limits, open, 'd', OperationTypeNode.SUBSCRIPTION)).toBe('RATE_LIMITED SUBSCRIPTION_LIMIT');
  });

  it('caps queries and mutations in flight separately from subscriptions', () => {
    const limits = new ConnectionLimits({ maxSubscriptions: 1, maxInFlightOperations: 2 });
    const open: Open = {};
    expect(start(limits, open, 's', OperationTypeNode.SUBSCRIPTION)).toBeNull();
    expect(start(limits, open, 'q1', OperationTypeNode.QUERY)).toBeNull();
    expect(start(limits, open, 'm1', OperationTypeNode.MUTATION)).toBeNull();
    expect(start(limits, open, 'q2', OperationTypeNode.QUERY)).toBe('RATE_LIMITED OPERATION_LIMIT');
    expect(start(limits, open, 's2', OperationTypeNode.SUBSCRIPTION)).toBe('RATE_LIMITED SUBSCRIPTION_LIMIT');
    delete open['q1'];
    expect(start(limits, open, 'q2', OperationTypeNode.QUERY)).toBeNull();
  });

  it('counts a reused id by what it is now, not by what it was', () => {
    const limits = new ConnectionLimits({ maxSubscriptions: 1, maxInFlightOperations: 1 });
    const open: Open = {};
    expect(start(limits, open, 'x', OperationTypeNode.SUBSCRIPTION)).toBeNull();
    delete open['x'];
    expect(start(limits, open, 'x', OperationTypeNode.QUERY)).toBeNull();
    expect(start(limits, open, 'y', OperationTypeNode.SUBSCRIPTION)).toBeNull();
  });

  it('says the limit in the error', () => {
    const limits = new ConnectionLimits({ maxSubscriptions: 1, maxInFlightOperations: 1 });
    const open: Open = { a: null };
    limits.admit('a', OperationTypeNode.SUBSCRIPTION, open);
    open['b'] = null;
    const refused = limits.admit('b', OperationTypeNode.SUBSCRIPTION, open);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused?.extensions).toEqual({ code: 'RATE_LIMITED', reason: 'SUBSCRIPTION_LIMIT', limit: 1 });
  });
});
