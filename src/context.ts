import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from './auth/actor.js';
import { PatientAccess } from './auth/patient-access.js';
import type { SessionService } from './auth/session.service.js';
import type { AccessTokenIssuer } from './auth/tokens.js';
import type { Config } from './config.js';
import type { AppLogger } from './logger.js';
import type { EventBus } from './realtime/event-bus.js';
import type { LiveFeed } from './realtime/live-feed.js';
import type { LiveMetrics } from './realtime/live-metrics.js';
import type { OutboxRelay } from './realtime/outbox-relay.js';

/** What a running server shares with every request: built once by `createServer`. */
export interface ServerServices {
  readonly config: Readonly<Config>;
  readonly logger: AppLogger;
  readonly bus: EventBus;
  readonly relay: OutboxRelay;
  readonly feed: LiveFeed;
  readonly tokens: AccessTokenIssuer;
  /** Logins, refreshes, logouts and the per-request session check. */
  readonly sessions: SessionService;
  /** The clock, in milliseconds since the epoch; injected so tests control time. */
  readonly now: () => number;
  readonly metrics: LiveMetrics;
}

/**
 * The context of one GraphQL operation, built the same way for HTTP requests and WebSocket
 * operations: a request id for logs, the caller, a fresh EntityManager fork, and the caller's
 * patient access (cached for the operation).
 */
export interface RequestContext {
  readonly requestId: string;
  readonly transport: 'http' | 'ws';
  readonly em: EntityManager;
  readonly access: PatientAccess;
  readonly services: ServerServices;
  readonly logger: AppLogger;
  /** Closes the caller's WebSocket with a code (WebSocket operations only; null over HTTP). */
  readonly disconnect: ((code: number, reason: string) => void) | null;
  /** The client's address as the socket reports it (login lockout); null when unknown. */
  readonly clientIp: string | null;
}

/** Builds a request context for a caller (null when anonymous). */
export function createRequestContext(
  services: ServerServices,
  rootEm: EntityManager,
  actor: Actor | null,
  transport: RequestContext['transport'],
  requestId: string = crypto.randomUUID(),
  disconnect: RequestContext['disconnect'] = null,
  clientIp: string | null = null,
): RequestContext {
  const em = rootEm.fork();
  return {
    requestId,
    transport,
    em,
    access: new PatientAccess(em, actor, services.now),
    services,
    logger: services.logger.child({ requestId, ...(actor ? { actorId: actor.userId, role: actor.role } : {}) }),
    disconnect,
    clientIp,
  };
}
