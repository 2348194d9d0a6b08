import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsConfig } from '../config.js';

/** What the metrics listener serves: Prometheus text (the server's `LiveMetrics`). */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** A running metrics listener. */
export interface MetricsListener {
  /** `http://host:port/metrics` */
  readonly url: string;
  close(): Promise<void>;
}

/** The SHA-256 of a string, so tokens of any length compare in constant time. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Whether a request carries `Authorization: Bearer <token>` for the configured token (constant-time). */
function presentsToken(req: IncomingMessage, expected: Buffer): boolean {
  const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

/**
 * Starts the internal listener that serves `GET /metrics` (and nothing else), apart from the
 * public listener so that metrics are reachable only where `config` binds them (loopback by
 * default). With a token configured, a scrape without it gets 401. Returns null when metrics are
 * off (`CRADLE_METRICS_PORT=off`).
 */
export async function startMetricsListener(config: MetricsConfig, source: MetricsSource): Promise<MetricsListener | null> {
  if (config.port === null) return null;
  const expected = config.token === null ? null : digest(config.token);
  const server = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
    if (expected && !presentsToken(req, expected)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="metrics"' }).end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    source.render().then(
      (text) => res.writeHead(200, { 'content-type': source.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'metrics unavailable' })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`CRADLE_METRICS_PORT ${config.port} on ${config.host} is already in use; set CRADLE_METRICS_PORT to a free port (0 picks one) or off`) : err),
    );
    server.listen(config.port!, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
