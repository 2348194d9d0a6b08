import type { IncomingMessage } from 'node:http';

/**
 * The client's address for rate limiting and audit. With `trustedProxyHops` = 0 it is the TCP
 * peer. Behind N trusted proxies that each append to `X-Forwarded-For`, it is the entry the
 * outermost trusted proxy saw: the Nth from the right. Entries further left are whatever the
 * client sent and are never trusted.
 */
export function clientAddress(req: IncomingMessage, trustedProxyHops: number): string | null {
  const peer = req.socket.remoteAddress ?? null;
  if (trustedProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  const hops = raw.split(',').map((h) => h.trim()).filter(Boolean);
  return hops.length >= trustedProxyHops ? hops[hops.length - trustedProxyHops]! : peer;
}
