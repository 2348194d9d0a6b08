import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A GraphQL error as the API returns it. */
export class MessagingApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly extensions: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'MessagingApiError';
  }

  /**
   * For RATE_LIMITED (too many bundle claims or sends, or a full recipient mailbox; nothing was
   * claimed or stored): how many seconds to wait before trying again. Null for other errors.
   */
  get retryAfterSeconds(): number | null {
    const value = this.extensions['retryAfterSeconds'];
    return this.code === 'RATE_LIMITED' && typeof value === 'number' ? value : null;
  }
}

/** Receives the items of a subscription. */
export interface SubscriptionSink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/** How the client kit talks to Cradle: GraphQL requests, and subscriptions. */
export interface MessagingApi {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Starts a subscription; returns a function that stops it. */
  subscribe<T>(query: string, variables: Record<string, unknown>, sink: SubscriptionSink<T>): () => void;
  close(): Promise<void>;
}

type GqlErrors = Array<{ message: string; extensions?: Record<string, unknown> }>;

function toError(errors: GqlErrors): MessagingApiError {
  const first = errors[0]!;
  return new MessagingApiError(first.message, first.extensions?.['code'] as string | undefined, first.extensions ?? {});
}

/**
 * The standard transport: HTTP POST for requests, graphql-ws over `ws` for subscriptions, both with
 * the access token as a bearer token. `token` is read on each use, so the app can refresh it.
 */
export class GraphQLMessagingApi implements MessagingApi {
  private ws: Client | null = null;

  constructor(
    private readonly httpUrl: string,
    private readonly wsUrl: string,
    private readonly token: () => string,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(this.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token()}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T | null; errors?: GqlErrors };
    if (body.errors?.length) throw toError(body.errors);
    if (!body.data) throw new MessagingApiError(`HTTP ${res.status} without data`, undefined, {});
    return body.data;
  }

  subscribe<T>(query: string, variables: Record<string, unknown>, sink: SubscriptionSink<T>): () => void {
    this.ws ??= createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: () => ({ authorization: `Bearer ${this.token()}` }),
      retryAttempts: 0,
      lazy: true,
    });
    return this.ws.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors?.length) sink.error(toError(value.errors as unknown as GqlErrors));
          else if (value.data) sink.next(value.data as T);
        },
        error: (err) => sink.error(Array.isArray(err) ? toError(err as GqlErrors) : err),
        complete: () => sink.complete(),
      },
    );
  }

  /** Closes the WebSocket (subscriptions end); a later subscription opens a new one. */
  async close(): Promise<void> {
    const ws = this.ws;
    this.ws = null;
    await ws?.dispose();
  }
}
