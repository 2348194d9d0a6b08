import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from '../graphql/graphql.js';

/** graphql-ws close code the server uses when the session behind a socket ended (signed out, expired, idle). */
export const UNAUTHORIZED_CLOSE_CODE = 4401;

/**
 * The 4401 reasons that ask for a reconnect with the current access token rather than a new
 * sign-in: the session was refreshed (its old token stops working) or the socket's token expired.
 */
const RECONNECT_REASONS: ReadonlySet<string> = new Set(['Session rotated', 'Token expired']);

/** One GraphQL error as the server sends it: a message and `extensions.code`, maybe `field` and `reason`. */
export interface ServerError {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly field?: string; readonly reason?: string } & Record<string, unknown>;
}

/**
 * A request the server refused or could not run, carrying the server's first error: its code
 * (`BAD_USER_INPUT`, `NOT_FOUND`, …), the input field at fault and the full extensions.
 */
export class GraphQLRequestError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(readonly errors: readonly ServerError[]) {
    super(errors[0]?.message ?? 'The request failed.');
    this.name = 'GraphQLRequestError';
    this.extensions = errors[0]?.extensions ?? {};
    this.code = typeof this.extensions['code'] === 'string' ? this.extensions['code'] : 'INTERNAL_SERVER_ERROR';
    this.field = typeof this.extensions['field'] === 'string' ? this.extensions['field'] : undefined;
  }

  /** Builds the error for a transport failure (no connection, or a response that is not GraphQL). */
  static network(message: string): GraphQLRequestError {
    return new GraphQLRequestError([{ message, extensions: { code: 'NETWORK_ERROR' } }]);
  }
}

/** Where the app's server lives: the page's own origin (the app is served by Cradle at `/app`). */
export function graphqlUrls(location: Location = window.location): { http: string; ws: string } {
  const ws = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { http: `${location.origin}/graphql`, ws: `${ws}//${location.host}/graphql` };
}

/**
 * Sends one query or mutation over HTTP with the bearer token, if any. Resolves with `data`, or
 * rejects with a {@link GraphQLRequestError} carrying the server's code.
 */
export async function executeOperation<TResult, TVariables>(
  url: string,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  token: string | null,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch {
    throw GraphQLRequestError.network('The server cannot be reached. Check the connection and try again.');
  }
  let body: { data?: TResult | null; errors?: ServerError[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw GraphQLRequestError.network(`The server answered ${response.status} without a GraphQL response.`);
  }
  if (body.errors?.length) throw new GraphQLRequestError(body.errors);
  if (body.data == null) throw GraphQLRequestError.network('The server answered without data.');
  return body.data;
}

/** What a live subscription reports to its owner besides events. */
export interface SubscriptionHandlers<TResult> {
  next(data: TResult): void;
  error(error: GraphQLRequestError): void;
  complete?(): void;
}

/** The state of the app's one WebSocket, shown to the user beside every live view. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** How often the client pings the server, in milliseconds: this long after the socket opens and after each reply. */
const KEEP_ALIVE_MS = 5000;
/**
 * How long a ping may go unanswered before the socket counts as dead, in milliseconds. A network
 * that vanishes without a reset (a lost Wi-Fi, a laptop lid, Chromium's offline mode) leaves the
 * socket open but silent, and closing it waits on a handshake that never comes: the client is
 * terminated instead, which reports the loss at once and reconnects.
 */
const PONG_TIMEOUT_MS = 3000;
/** Longest wait, after a "Session rotated" close, for the refreshed token before reconnecting anyway, in milliseconds. */
const ROTATION_WAIT_MS = 5000;

/**
 * The app's graphql-ws client: one socket per signed-in session, the access token sent in
 * `connection_init`, reconnecting with backoff after a network drop (views resume from their
 * last cursor), and pinging a quiet socket so a silent one is noticed and replaced. A 4401 close
 * means the session ended and is reported, not retried, unless its reason asks for a reconnect
 * with the refreshed token (after every refresh the server closes the old token's sockets).
 */
export function createLiveClient(options: {
  url: string;
  token: () => string | null;
  onState: (state: ConnectionState) => void;
  onSessionEnded: (reason: string) => void;
}): Client {
  let ended = false;
  let pongDue: ReturnType<typeof setTimeout> | undefined;
  /** The token the current socket was opened with, and one a rotation close made stale. */
  let socketToken: string | null = null;
  let staleToken: string | null = null;
  const client = createClient({
    url: options.url,
    keepAlive: KEEP_ALIVE_MS,
    lazy: true,
    lazyCloseTimeout: 1000,
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(8000, 250 * 2 ** Math.min(retries, 5))));
    },
    shouldRetry: (event) => !ended && !endsSession(event),
    connectionParams: async () => {
      // After a rotation close, wait (briefly) for the refresh that caused it to store its token.
      const deadline = Date.now() + ROTATION_WAIT_MS;
      while (staleToken !== null && options.token() === staleToken && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      staleToken = null;
      socketToken = options.token();
      return socketToken ? { authorization: `Bearer ${socketToken}` } : {};
    },
    on: {
      connecting: (isRetry) => options.onState(isRetry ? 'reconnecting' : 'connecting'),
      connected: () => options.onState('connected'),
      ping: (received) => {
        if (received) return;
        clearTimeout(pongDue);
        pongDue = setTimeout(() => client.terminate(), PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongDue);
      },
      closed: (event) => {
        clearTimeout(pongDue);
        if (asksForNewToken(event)) staleToken = socketToken;
        if (endsSession(event)) {
          ended = true;
          options.onState('closed');
          options.onSessionEnded(event.reason || 'Your session ended.');
        } else {
          options.onState(ended ? 'closed' : 'reconnecting');
        }
      },
    },
  });
  return client;
}

/** Whether a close asks for a reconnect with the refreshed access token (4401 "Session rotated" or "Token expired"). */
export function asksForNewToken(event: unknown): event is { code: number; reason: string } {
  return isCloseEvent(event) && event.code === UNAUTHORIZED_CLOSE_CODE && RECONNECT_REASONS.has(event.reason);
}

/** Whether a close means the session is over (sign in again), not a token to replace. */
function endsSession(event: unknown): event is { code: number; reason: string } {
  return isCloseEvent(event) && event.code === UNAUTHORIZED_CLOSE_CODE && !RECONNECT_REASONS.has(event.reason);
}

function isCloseEvent(event: unknown): event is { code: number; reason: string } {
  return typeof event === 'object' && event !== null && typeof (event as { code?: unknown }).code === 'number';
}

/**
 * Runs one subscription on the live client; returns the function that stops it. Errors the
 * server sends for the operation arrive as a {@link GraphQLRequestError}.
 */
export function subscribeOperation<TResult, TVariables>(
  client: Client,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  handlers: SubscriptionHandlers<TResult>,
): () => void {
  // graphql-ws treats every 4401 as fatal and never retries it: after a rotation close the
  // subscription is started again here (the same payload, so a `since` getter resumes it).
  const payload = { query: document.toString(), variables: variables as Record<string, unknown> };
  let stopped = false;
  let stop = () => undefined as void;
  const start = () => {
    stop = client.subscribe<TResult>(payload, {
      next: (result) => {
        if (result.errors?.length) handlers.error(new GraphQLRequestError(result.errors as unknown as ServerError[]));
        else if (result.data) handlers.next(result.data as TResult);
      },
      error: (error) => {
        if (stopped) return;
        if (asksForNewToken(error)) start();
        else if (Array.isArray(error)) handlers.error(new GraphQLRequestError(error as ServerError[]));
        else if (!isCloseEvent(error) || error.code !== UNAUTHORIZED_CLOSE_CODE) handlers.error(GraphQLRequestError.network('The live connection failed.'));
      },
      complete: () => handlers.complete?.(),
    });
  };
  start();
  return () => {
    stopped = true;
    stop();
  };
}
