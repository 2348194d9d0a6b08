import type { SessionEnd, SessionsEnded } from '../auth/session-ended.js';
import { SESSION_END_REASONS } from '../db/entities/index.js';
import type { AppLogger } from '../logger.js';
import { CradleCloseCode, CradleCloseReason } from './close-codes.js';
import { Channels, type EventBus } from './event-bus.js';

/** What {@link SessionSockets} needs of a socket (the `ws` WebSocket has it). */
export interface SessionSocket {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * How long an ended session is remembered, in milliseconds, so that a socket whose
 * `connection_init` read the session just before it ended (and registers just after the news
 * arrived) is closed as it registers. Far longer than a session read takes.
 */
const REMEMBER_ENDED_MS = 60_000;

const SESSION_ENDS: ReadonlySet<string> = new Set<SessionEnd>([...SESSION_END_REASONS, 'EXPIRED']);

/** The close reason sent with 4401 when a socket's session ends. */
export function closeReasonFor(reason: SessionEnd): string {
  return reason === 'ROTATED' ? CradleCloseReason.SessionRotated : CradleCloseReason.SessionRevoked;
}

function parseSessionsEnded(message: string): SessionsEnded | null {
  try {
    const value = JSON.parse(message) as Partial<SessionsEnded> | null;
    const { sessionIds, reason } = value ?? {};
    if (!Array.isArray(sessionIds) || !sessionIds.every((id) => typeof id === 'string')) return null;
    if (typeof reason !== 'string' || !SESSION_ENDS.has(reason)) return null;
    return { sessionIds, reason };
  } catch {
    return null;
  }
}

/**
 * The open WebSockets of each session on this instance, closed with 4401 the moment their session
 * ends on any instance: "Session rotated" after a refresh (reconnect with the new access token),
 * "Session revoked" after a logout, a refresh-token reuse, or a request that found the session
 * idle or past its absolute expiry (sign in again).
 *
 * The news travels on the global bus channel {@link Channels.sessionsEnded}, to which each instance
 * subscribes once at start: sessions end a few times per user per day, so one small message per
 * instance costs less than per-tenant subscriptions would. The instance that ends a session closes
 * its own sockets before publishing, so they close even when the bus is down; sockets on other
 * instances then close when their access token expires (new requests are refused at once anyway,
 * since every request reads the session).
 *
 * One per server; {@link start} before accepting sockets, {@link stop} before closing the bus.
 */
export class SessionSockets {
  private readonly open = new Map<string, Set<SessionSocket>>();
  /** Session id → when this instance learnt that it ended; insertion order is age order. */
  private readonly ended = new Map<string, { at: number; reason: SessionEnd }>();
  private unsubscribe: (() => Promise<void>) | null = null;

  /**
   * @param now the server's clock, in milliseconds since the epoch
   */
  constructor(
    private readonly bus: EventBus,
    private readonly logger: AppLogger,
    private readonly now: () => number,
  ) {}

  private detachReconnect: (() => void) | null = null;

  /**
   * After a bus outage, asks `findEnded` which tracked sessions ended meanwhile (the news could not
   * travel) and closes their sockets.
   */
  checkAfterReconnect(findEnded: (sessionIds: readonly string[]) => Promise<SessionsEnded[]>): void {
    this.detachReconnect?.();
    this.detachReconnect = this.bus.onReconnect(() => {
      void findEnded([...this.open.keys()])
        .then((ended) => {
          for (const group of ended) this.closeSockets(group);
        })
        .catch((err: unknown) => this.logger.error({ err }, 'could not re-check WebSocket sessions after a bus outage'));
    });
  }

  /** Subscribes to the bus channel; resolves once the subscription is active. */
  async start(): Promise<void> {
    this.unsubscribe ??= await this.bus.subscribe(Channels.sessionsEnded, (message) => {
      const ended = parseSessionsEnded(message);
      if (ended) this.closeSockets(ended);
      else this.logger.warn('ignored a malformed message on the sessions-ended channel');
    });
  }

  /** Unsubscribes from the bus (the sockets themselves are closed by the server's shutdown). */
  async stop(): Promise<void> {
    this.detachReconnect?.();
    this.detachReconnect = null;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    await unsubscribe?.();
  }

  /**
   * Registers a socket authenticated with `sessionId` until it closes. Returns false, having closed
   * the socket with 4401, when the session is already known to have ended.
   */
  track(sessionId: string, socket: SessionSocket): boolean {
    const ended = this.ended.get(sessionId);
    if (ended) {
      socket.close(CradleCloseCode.Unauthorized, closeReasonFor(ended.reason));
      return false;
    }
    let sockets = this.open.get(sessionId);
    if (!sockets) {
      sockets = new Set();
      this.open.set(sessionId, sockets);
    }
    sockets.add(socket);
    const entry = sockets;
    socket.once('close', () => {
      entry.delete(socket);
      if (entry.size === 0 && this.open.get(sessionId) === entry) this.open.delete(sessionId);
    });
    return true;
  }

  /** Open sockets registered on this instance (tests and diagnostics). */
  get socketCount(): number {
    let count = 0;
    for (const sockets of this.open.values()) count += sockets.size;
    return count;
  }

  /**
   * Closes this instance's sockets of the ended sessions, then tells the other instances. Never
   * rejects: a bus failure is logged. Sessions this instance already heard of within the last
   * minute are not announced again (a client retrying with the token of an expired session would
   * otherwise publish once per request).
   */
  readonly announce = async (ended: SessionsEnded): Promise<void> => {
    const news = ended.sessionIds.filter((id) => !this.ended.has(id));
    if (news.length === 0) return;
    const message: SessionsEnded = { sessionIds: news, reason: ended.reason };
    this.closeSockets(message);
    try {
      await this.bus.publish(Channels.sessionsEnded, JSON.stringify(message));
    } catch (err) {
      this.logger.error(
        { err, sessions: news.length, reason: ended.reason },
        'could not announce ended sessions on the bus; their WebSockets on other instances close when their access tokens expire',
      );
    }
  };

  private closeSockets({ sessionIds, reason }: SessionsEnded): void {
    const now = this.now();
    for (const [id, { at }] of this.ended) {
      if (now - at < REMEMBER_ENDED_MS) break;
      this.ended.delete(id);
    }
    let closed = 0;
    for (const id of sessionIds) {
      this.ended.delete(id);
      this.ended.set(id, { at: now, reason });
      const sockets = this.open.get(id);
      if (!sockets) continue;
      this.open.delete(id);
      for (const socket of sockets) socket.close(CradleCloseCode.Unauthorized, closeReasonFor(reason));
      closed += sockets.size;
    }
    if (closed > 0) this.logger.info({ sockets: closed, reason }, 'closed the WebSockets of ended sessions');
  }
}
