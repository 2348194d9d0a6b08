import type { EntityManager } from '@mikro-orm/postgresql';
import type { AlertingWorker } from './alerting/alerting-worker.js';
import type { AuditLog } from './audit/audit-log.js';
import type { AuditTrail } from './audit/audit-services.js';
import { PhiAccessRecorder } from './audit/phi-access-recorder.js';
import type { Actor } from './auth/actor.js';
import { PatientAccess } from './auth/patient-access.js';
import type { SessionService } from './auth/session.service.js';
import type { AccessTokenIssuer } from './auth/tokens.js';
import type { Config } from './config.js';
import { tenantScopedEm } from './db/tenant-scope.js';
import type { AppLogger } from './logger.js';
import type { EventBus } from './realtime/event-bus.js';
import type { LiveFeed } from './realtime/live-feed.js';
import type { LiveMetrics } from './realtime/live-metrics.js';
import type { MailboxHub } from './crypto/signal/mailbox-hub.js';
import type { OutboxRelay } from './realtime/outbox-relay.js';
import type { RateLimiter } from './auth/rate-limiter.js';

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
  /** Care-protocol evaluation, scheduled protocols and durable escalation on this instance (`src/alerting`). */
  readonly alerting: AlertingWorker;
  /** Secure messaging on this instance: live inboxes, low-prekey alerts, the retention purge. */
  readonly messaging: MailboxHub;
  /** Rate limits of the deployment (in Redis when configured, so they hold across instances). */
  readonly rateLimiter: RateLimiter;
  /**
   * The audit trail (an `AuditSink`): `append(entries)` resolves once the records are durable.
   * Concurrent appends are group-committed per tenant chain; see `audit/audit-log.ts`.
   */
  readonly audit: AuditLog;
  /** The audit trail's checkpoints and compliance monitor (besides the writer above). */
  readonly auditTrail: AuditTrail;
}

/**
 * The context of one GraphQL operation, built the same way for HTTP requests and WebSocket
 * operations: a request id for logs, the caller, a fresh EntityManager fork, and the caller's
 * patient access (cached for the operation).
 */
export interface RequestContext {
  readonly requestId: string;
  readonly transport: 'http' | 'ws';
  /**
   * The request's EntityManager, confined by PostgreSQL row-level security to the caller's tenant
   * (nothing at all for an anonymous caller); see `db/tenant-scope.ts`.
   */
  readonly em: EntityManager;
  /**
   * An EntityManager outside the tenant wall, for the steps of authentication that happen before
   * a tenant is known (sign-in by e-mail, refresh-token and enrolment-token lookups). Nothing else
   * may use it.
   */
  readonly authEm: EntityManager;
  readonly access: PatientAccess;
  readonly services: ServerServices;
  readonly logger: AppLogger;
  /** Closes the caller's WebSocket with a code (WebSocket operations only; null over HTTP). */
  readonly disconnect: ((code: number, reason: string) => void) | null;
  /** The client's address as the socket reports it (login lockout); null when unknown. */
  readonly clientIp: string | null;
  /** The client's User-Agent header (for the audit trail); null when absent. */
  readonly userAgent: string | null;
  /** The PHI this operation touched or was refused, flushed to the audit trail before the response leaves. */
  readonly phiAccess: PhiAccessRecorder;
  /**
   * Lets go of the operation's EntityManager (and its identity map). A long-lived subscription calls
   * it once its feed is open, so an idle subscriber holds none; the next use of `em` (a field
   * resolver during a delivery) forks a fresh one.
   */
  releaseEm(): void;
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
  userAgent: string | null = null,
): RequestContext {
  let em: EntityManager | null = null;
  const currentEm = () => (em ??= tenantScopedEm(rootEm, actor?.tenantId ?? null));
  const phiAccess = new PhiAccessRecorder();
  const access = new PatientAccess(currentEm, actor, services.now);
  access.observeDenials((patientId) => phiAccess.denied(patientId, null));
  let authEm: EntityManager | null = null;
  let logger: AppLogger | null = null;
  return {
    requestId,
    transport,
    get em() {
      return currentEm();
    },
    // Forked on first use: only sign-in steps need it, and a live subscription keeps its context
    // (and whatever it holds) for as long as it is open.
    get authEm() {
      return (authEm ??= rootEm.fork());
    },
    access,
    services,
    get logger() {
      return (logger ??= services.logger.child({ requestId, ...(actor ? { actorId: actor.userId, role: actor.role } : {}) }));
    },
    disconnect,
    clientIp,
    userAgent: userAgent === null ? null : userAgent.slice(0, 500),
    phiAccess,
    releaseEm() {
      em = null;
    },
  };
}
