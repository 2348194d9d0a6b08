import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { DestinationStream } from 'pino';
import { getOperationAST } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { auditPlugin } from './audit/audit-plugin.js';
import { startAuditTrail } from './audit/audit-services.js';
import type { Actor } from './auth/actor.js';
import { MemoryRateLimiter } from './auth/memory-rate-limiter.js';
import type { RateLimiter } from './auth/rate-limiter.js';
import { RedisRateLimiter } from './auth/redis-rate-limiter.js';
import { SessionService } from './auth/session.service.js';
import { AccessTokenIssuer, bearerToken } from './auth/tokens.js';
import type { Config } from './config.js';
import { createRequestContext, type RequestContext, type ServerServices } from './context.js';
import { openDatabase, type Database } from './db/orm.js';
import { SERVER_OWNER } from './db/data-dir-lock.js';
import { createTenantWithAdmin } from './auth/tenant-bootstrap.js';
import { startOperatorChannel, type OperatorChannel } from './operator/operator-channel.js';
import type { DemoLogin } from './db/seed-demo.js';
import { Tenant } from './db/entities/index.js';
import { AlertingWorker } from './alerting/alerting-worker.js';
import { isDatabaseUnavailable } from './db/database-unavailable.js';
import { createErrorNormaliser } from './error-normaliser.js';
import { ServiceUnavailableError } from './errors.js';
import { clientAddress } from './http/client-address.js';
import { answerPreflight, corsResponseHeaders } from './http/cors.js';
import { Explorer, wantsExplorerPage } from './http/explorer.js';
import { WebApp } from './http/web-app.js';
import { serveGraphQL, sendRequestError } from './http/graphql-http.js';
import { startMetricsListener } from './http/metrics-listener.js';
import { unavailableStatusPlugin } from './http/unavailable-status.js';
import { websocketOnlySubscriptionsPlugin } from './http/websocket-only-subscriptions.js';
import { closeWhenTokenExpires } from './http/websocket-expiry.js';
import { isWebSocketOriginAllowed } from './http/websocket-origin.js';
import { createLogger, type AppLogger } from './logger.js';
import { OperationTelemetry } from './observability/operation-telemetry.js';
import { registerProcessMetrics, RequestMetrics } from './observability/request-metrics.js';
import { RequestTracing } from './observability/request-tracing.js';
import { BusPubSub } from './realtime/bus-pubsub.js';
import { CradleCloseCode, CradleCloseReason } from './realtime/close-codes.js';
import { ConnectionLimits } from './realtime/connection-limits.js';
import type { EventBus } from './realtime/event-bus.js';
import { LiveFeed } from './realtime/live-feed.js';
import { MailboxHub } from './crypto/signal/mailbox-hub.js';
import { LiveMetrics } from './realtime/live-metrics.js';
import { auditedExecute, createSharedSubscribe } from './realtime/shared-execution.js';
import { SharedPayloads } from './realtime/shared-serialisation.js';
import { MemoryEventBus } from './realtime/memory-event-bus.js';
import { OutboxRelay } from './realtime/outbox-relay.js';
import { RedisEventBus } from './realtime/redis-event-bus.js';
import { SessionSockets } from './realtime/session-sockets.js';
import { buildCradleSchema } from './schema/build-schema.js';
import { cradleValidationRules } from './schema/operation-limits.js';
import { prepareOperation } from './schema/operation-validation.js';
import { ValidatedDocumentCache } from './schema/document-cache.js';

/** How long an idle keep-alive HTTP connection stays open, in milliseconds (see where it is set). */
const HTTP_KEEP_ALIVE_MS = 65_000;

/** Things tests (and embedders) may replace. */
export interface ServerOverrides {
  /** Where log lines go (tests capture them). */
  readonly logDestination?: DestinationStream;
  /** The clock, in milliseconds since the epoch. */
  readonly now?: () => number;
  /**
   * An already open database to use instead of opening the configured one; the server then does
   * not close it. Lets several instances share one embedded database in one process (the
   * multi-instance tests on the embedded default).
   */
  readonly database?: Database;
  /** An event bus to use instead of creating the configured one; the server then does not close it. */
  readonly bus?: EventBus;
}

/** A running Cradle server. */
export interface RunningServer {
  /** `http://host:port/graphql` */
  readonly url: string;
  /** `ws://host:port/graphql` */
  readonly wsUrl: string;
  /** `http://host:port/app/`, the reference web app; null when it has not been built (`npm run build`). */
  readonly appUrl: string | null;
  /** `http://host:port/metrics` on the internal metrics listener; null when metrics are off. */
  readonly metricsUrl: string | null;
  readonly port: number;
  readonly services: ServerServices;
  readonly database: Database;
  /** Demo logins, when this start seeded the demo tenant. */
  readonly demoLogins: readonly DemoLogin[] | null;
  /** Graceful shutdown: stop accepting, finish in-flight requests, close sockets with 1012, close pools. */
  close(): Promise<void>;
}


async function createBus(config: Readonly<Config>, logger: AppLogger): Promise<EventBus> {
  if (config.bus.kind === 'memory') return new MemoryEventBus();
  const bus = new RedisEventBus(config.bus.url, config.bus.keyPrefix, logger);
  await bus.ready();
  return bus;
}

/** The rate limiter: in Redis when Redis is configured (shared by every instance), else in this process. */
async function createRateLimiter(config: Readonly<Config>, logger: AppLogger): Promise<RateLimiter> {
  if (config.bus.kind === 'memory') return new MemoryRateLimiter();
  const limiter = new RedisRateLimiter(config.bus.url, config.bus.keyPrefix, logger);
  await limiter.ready();
  return limiter;
}

/**
 * The operator channel, when this server opened an on-disk embedded database (and so owns its
 * data directory): the command line's `tenant:create` reaches the server through it. A socket
 * that cannot listen (a path too long for a Unix socket) is logged; the command line then refuses.
 */
async function startOwnerChannel(config: Readonly<Config>, overrides: ServerOverrides, database: Database, services: ServerServices): Promise<OperatorChannel | null> {
  if (overrides.database || config.database.kind !== 'pglite' || config.database.dataDir === null) return null;
  try {
    return await startOperatorChannel(
      config.database.dataDir,
      { 'tenant:create': (args) => createTenantWithAdmin(database.orm, services.audit, args, 'operator-cli') },
      services.logger,
    );
  } catch (err) {
    services.logger.warn({ err }, 'operator channel not available; command line commands will be refused while the server runs');
    return null;
  }
}

function loggingPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const started = performance.now();
      const operationName = request.operationName ?? null;
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const code = error.extensions?.['code'];
            if (error.originalError && !(typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR')) {
              contextValue.logger.error({ err: error.originalError, operationName }, 'resolver failed');
            }
          }
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          contextValue.logger.info(
            {
              operationName,
              durationMs: Math.round(performance.now() - started),
              errorCodes: errors.map((e) => e.extensions?.['code']),
            },
            'graphql request',
          );
        },
      };
    },
  };
}

/**
 * Starts Cradle: database (migrated), bus, outbox relay, live feed, schema, HTTP and WebSocket on
 * one port. No side effects at import; several servers can run in one process (tests do).
 */
export async function createServer(config: Readonly<Config>, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, overrides.logDestination);
  const now = overrides.now ?? Date.now;
  // Read before anything is opened, so a missing package file leaves nothing to close.
  const explorer = config.explorer ? await Explorer.load() : null;
  const webApp = await WebApp.load();
  const database =
    overrides.database ??
    (await openDatabase(config.database, {
      fieldEncryption: config.fieldEncryption,
      requireReadableKeys: true,
      owner: SERVER_OWNER,
      onStaleLock: (stale) => logger.warn({ stalePid: stale.pid, staleCommand: stale.command, staleStartedAt: stale.startedAt }, 'took over the embedded database from a process that no longer runs'),
    }));
  let demoLogins: DemoLogin[] | null = null;
  if (config.demoSeed && (await database.orm.em.fork().count(Tenant, {})) === 0) {
    // Imported only to seed: faker is large, and a restart on seeded data never needs it.
    const { seedDemoTenant } = await import('./db/seed-demo.js');
    demoLogins = await seedDemoTenant(database.orm.em.fork(), now());
    logger.info({ users: demoLogins.length }, 'seeded the synthetic demo tenant');
  }
  const bus = overrides.bus ?? (await createBus(config, logger));
  let feed: LiveFeed | null = null;
  const metrics = new LiveMetrics(() => feed?.subscriptionCount ?? 0);
  if (config.metrics.port !== null) registerProcessMetrics(metrics.registry);
  const tracing = config.tracing ? new RequestTracing(config.tracing, logger) : null;
  const telemetry = new OperationTelemetry(new RequestMetrics(metrics.registry), tracing);
  const relay = new OutboxRelay(database.orm, bus, logger, config.relayPollMs, metrics);
  feed = new LiveFeed(database.orm, bus, logger, { maxItems: config.liveBufferEvents, maxLagMs: config.liveMaxLagMs }, metrics, now);
  const tokens = new AccessTokenIssuer(config.tokenKeyId, { [config.tokenKeyId]: config.tokenSecret }, config.accessTokenTtlSeconds, now);
  const sessionSockets = new SessionSockets(bus, logger, now);
  await sessionSockets.start();
  const auditTrail = startAuditTrail({ orm: database.orm, config, bus, logger, now });
  const sessions = new SessionService(
    tokens,
    { idleMs: config.sessionIdleMinutes * 60_000, absoluteMs: config.sessionMaxHours * 3_600_000, activityWriteIntervalMs: 60_000 },
    now,
    sessionSockets.announce,
    undefined,
    auditTrail.log,
  );
  sessionSockets.checkAfterReconnect((ids) => sessions.endedAmong(database.orm.em.fork(), ids));
  const messaging = new MailboxHub(database.orm, bus, logger, { maxItems: config.liveBufferEvents, maxLagMs: config.liveMaxLagMs }, config.messaging, now);
  const alerting = new AlertingWorker(database.orm, relay, logger, now, config.alertingPollMs, auditTrail.log, config.alertingPageEvents);
  const rateLimiter = await createRateLimiter(config, logger);
  const services: ServerServices = { config, logger, bus, relay, feed, tokens, sessions, now, metrics, audit: auditTrail.log, auditTrail, messaging, alerting, rateLimiter };
  const schema = await buildCradleSchema(new BusPubSub(bus, logger));

  // One rule set and one normaliser for both transports; graphql-ws never sees Apollo's options.
  const validationRules = cradleValidationRules({ limits: config.operationLimits, introspection: !config.production });
  const validatedDocuments = new ValidatedDocumentCache();
  const normaliseError = createErrorNormaliser({ hideSuggestions: config.production });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    formatError: normaliseError,
    includeStacktraceInErrorResponses: false,
    // Introspection is governed by `validationRules` (refused in production), the same rule as over
    // WebSocket; Apollo's own switch would add a second rule with a different message.
    introspection: true,
    validationRules: [...validationRules],
    csrfPrevention: true,
    // Apollo's landing page loads Sandbox from a CDN; the explorer, when on, is Cradle's own.
    plugins: [ApolloServerPluginLandingPageDisabled(), telemetry.apolloPlugin(), loggingPlugin(), auditPlugin(), unavailableStatusPlugin(), websocketOnlySubscriptionsPlugin()],
  });
  await apollo.start();

  /**
   * The caller of a bearer token whose session is still active (one primary-key read; see
   * SessionService.authenticate). While the database is unreachable it throws the retryable
   * {@link ServiceUnavailableError} (HTTP 503), not the driver's error.
   */
  const actorFromHeader = async (header: unknown): Promise<Actor | null> => {
    const token = bearerToken(header);
    try {
      return token ? await sessions.authenticate(database.orm.em.fork(), token) : null;
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw ServiceUnavailableError.database();
      throw err;
    }
  };

  let shuttingDown = false;
  const httpServer: Server = createHttpServer((req, res) => {
    const requestId = crypto.randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    void (async () => {
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
        return;
      }
      if (url.pathname === '/readyz') {
        const [db, busUp] = await Promise.all([database.ping(), bus.ping()]);
        const ready = db && busUp && !shuttingDown;
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ready ? 'ready' : 'unavailable', database: db, bus: busUp, shuttingDown }));
        return;
      }
      if (WebApp.handles(url.pathname)) {
        webApp.serve(req, res, url.pathname);
        return;
      }
      if (explorer && url.pathname.startsWith('/explorer/') && explorer.serveAsset(url.pathname.slice('/explorer/'.length), req, res)) return;
      if (url.pathname === '/graphql') {
        if (req.method === 'OPTIONS') {
          const answer = answerPreflight(req.headers, config.allowedOrigins);
          res.writeHead(answer.status, answer.headers).end();
          return;
        }
        if (wantsExplorerPage(req, url)) {
          if (explorer) explorer.servePage(req, res);
          else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('The GraphQL explorer is off (CRADLE_EXPLORER).\n');
          return;
        }
        for (const [name, value] of Object.entries(corsResponseHeaders(req.headers.origin, config.allowedOrigins))) res.setHeader(name, value);
        await serveGraphQL(apollo, req, res, url, config.maxBodyBytes, requestId, async () =>
          createRequestContext(services, database.orm.em, await actorFromHeader(req.headers.authorization), 'http', requestId, null, clientAddress(req, config.trustedProxyHops), req.headers['user-agent'] ?? null),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    })().catch((err: unknown) => {
      logger.error({ err, requestId }, 'http request failed');
      if (!res.headersSent) sendRequestError(res, 500, 'Something went wrong on our side.', 'INTERNAL_SERVER_ERROR', 'request', requestId);
      else res.end();
    });
  });

  // Keep idle HTTP connections longer than a load balancer's idle timeout (60 s for most) and than
  // clients keep them: with Node's 5-second default, a client reusing a connection just as the
  // server drops it gets "other side closed" for a request it cannot know was not run.
  httpServer.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  httpServer.headersTimeout = HTTP_KEEP_ALIVE_MS + 1000;

  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: config.maxBodyBytes,
    // Browsers always send Origin on a WebSocket; other sites' pages are refused before the upgrade.
    verifyClient: ({ req }, done) => {
      const allowed = isWebSocketOriginAllowed(req.headers.origin, req.headers.host, config.allowedOrigins);
      if (allowed) done(true);
      else done(false, 403, 'Forbidden');
    },
  });
  const sharedPayloads = new SharedPayloads(metrics);
  wsServer.on('connection', (socket) => {
    sharedPayloads.attach(socket);
    metrics.sockets.inc();
    socket.once('close', () => metrics.sockets.dec());
  });
  interface WsExtra {
    socket: WebSocket;
    request: IncomingMessage;
    actor?: Actor;
    /**
     * Names the connection in request ids (`<connection>/<operation id>`): operation ids are the
     * client's choice and repeat across clients, so alone they would not identify an operation in
     * the audit trail.
     */
    connectionId?: string;
    /** The connection's caps on open subscriptions and operations in flight. */
    limits?: ConnectionLimits;
  }
  const wsDisposable = useServer<Record<string, unknown>, { actor?: Actor }>(
    {
      schema,
      subscribe: createSharedSubscribe(metrics),
      jsonMessageReplacer: sharedPayloads.replacer,
      execute: auditedExecute,
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const extra = ctx.extra as WsExtra;
        let actor: Actor | null;
        try {
          actor = await actorFromHeader(ctx.connectionParams?.['authorization']);
        } catch (err) {
          // graphql-ws would close with 4500 and, outside NODE_ENV=production, the error's message.
          const unavailable = err instanceof ServiceUnavailableError;
          if (!unavailable) logger.error({ err }, 'websocket authentication failed');
          extra.socket.close(unavailable ? CradleCloseCode.TryAgainLater : CloseCode.InternalServerError, unavailable ? CradleCloseReason.TryAgainLater : 'Internal server error');
          return false;
        }
        if (!actor) {
          // graphql-ws would close with 4403 Forbidden; a missing or bad token is 4401 Unauthorized.
          // The first close wins, so graphql-ws's own close after `false` changes nothing.
          extra.socket.close(CloseCode.Unauthorized, CradleCloseReason.Unauthorized);
          return false;
        }
        // Closed with 4401 the moment its session ends on any instance (logout, rotation, reuse).
        if (actor.sessionId && !sessionSockets.track(actor.sessionId, extra.socket)) return false;
        extra.actor = actor;
        if (actor.expiresAt) closeWhenTokenExpires(extra.socket, actor.expiresAt, now);
        return true;
      },
      // Parse and validate here, with Cradle's rules: graphql-ws's default validation would apply
      // graphql-js's rules only; then the connection's caps. Errors reach `onError` below,
      // normalised like HTTP ones.
      onSubscribe: (ctx, id, payload) => {
        telemetry.wsReceived(ctx, id);
        const prepared = prepareOperation(schema, payload, validationRules, validatedDocuments);
        if (Array.isArray(prepared)) return prepared;
        telemetry.wsValidated(ctx, id, prepared.document, prepared.operationName);
        const extra = ctx.extra as WsExtra;
        extra.limits ??= new ConnectionLimits(config.wsLimits);
        const refused = extra.limits.admit(id, getOperationAST(prepared.document, prepared.operationName)?.operation ?? null, ctx.subscriptions);
        return refused ? [refused] : prepared;
      },
      context: (ctx, id) => {
        const extra = ctx.extra as WsExtra;
        extra.connectionId ??= crypto.randomUUID();
        return createRequestContext(services, database.orm.em, extra.actor ?? null, 'ws', `${extra.connectionId}/${id}`, (code, reason) => extra.socket.close(code, reason),
          clientAddress(extra.request, config.trustedProxyHops), extra.request.headers['user-agent'] ?? null);
      },
      onOperation: (ctx, id, _payload, _args, result) => {
        telemetry.wsExecuted(ctx, id, result);
        return undefined;
      },
      onError: (ctx, id, _payload, errors) => {
        const normalised = errors.map((e) => normaliseError(e.toJSON(), e));
        telemetry.wsAnswered(ctx, id, normalised);
        return normalised;
      },
      onNext: (ctx, id, _payload, _args, result) => {
        const errors = result.errors?.map((e) => normaliseError(e.toJSON(), e));
        telemetry.wsAnswered(ctx, id, errors);
        return errors ? { ...result, errors } : undefined;
      },
      onComplete: (ctx, id) => telemetry.wsCompleted(ctx, id),
      onClose: (ctx) => telemetry.wsClosed(ctx),
    },
    wsServer,
    config.wsKeepAliveMs,
  );

  // Metrics never share the public listener: they go on an internal one of their own.
  const metricsListener = await startMetricsListener(config.metrics, metrics);
  const operator = await startOwnerChannel(config, overrides, database, services);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  }).catch(async (err: unknown) => {
    await metricsListener?.close();
    await operator?.close();
    await tracing?.shutdown();
    throw err;
  });
  relay.start();
  alerting.start();
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      await operator?.close();
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      for (const client of wsServer.clients) client.close(CradleCloseCode.ServiceRestart, 'Server restarting');
      await wsDisposable.dispose();
      const grace = setTimeout(() => httpServer.closeAllConnections(), config.shutdownGraceMs);
      await stopped;
      clearTimeout(grace);
      await feed!.close();
      await messaging.close();
      await sessionSockets.stop();
      await alerting.stop();
      await relay.stop();
      await apollo.stop();
      await tracing?.shutdown();
      await metricsListener?.close();
      await auditTrail.close();
      await rateLimiter.close();
      if (!overrides.bus) await bus.close();
      if (!overrides.database) await database.close();
      logger.info('server stopped');
    })();
    return closing;
  };

  logger.info({ port, database: database.kind, bus: bus.kind }, 'cradle listening');
  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    appUrl: webApp.built ? `http://${host}:${port}/app/` : null,
    metricsUrl: metricsListener?.url ?? null,
    port,
    services,
    database,
    demoLogins: demoLogins as readonly DemoLogin[] | null,
    close,
  };
}
