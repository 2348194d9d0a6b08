import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A GraphQL response as the wire carries it. */
export interface GqlResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: unknown; extensions?: { code?: string; field?: string; [key: string]: unknown } }>;
}

/** Posts a GraphQL operation over real HTTP. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GqlResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GqlResponse<T>, 'status'>;
  return { status: res.status, ...body };
}

/** Like {@link gql}, but fails the test on any error and returns the data. */
export async function gqlOk<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await gql<T>(url, query, variables, token);
  if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** The first error's code and field, for compact assertions. */
export function errorOf(res: GqlResponse): { code?: string; field?: string } {
  const e = res.errors?.[0];
  return { code: e?.extensions?.code, field: e?.extensions?.field };
}

/** A real graphql-ws client over `ws`, authenticated in connection_init; `onClose` gets the close code and reason. */
export function wsClient(wsUrl: string, token: string, onClose?: (code: number, reason: string) => void): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    // Connection errors reach each subscription's sink (and `onClose`); don't also print them.
    onNonLazyError: () => undefined,
    on: onClose ? { closed: (event) => onClose((event as { code: number }).code, (event as { reason: string }).reason) } : {},
  });
}

/** A live subscription that collects what it receives. */
export interface Collector<T> {
  readonly received: T[];
  readonly errors: unknown[];
  /** Resolves once `count` items have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /**
   * Resolves true once `done` holds (checked now and on every item or error that arrives), or
   * false after `timeoutMs` without it.
   */
  waitUntil(done: () => boolean, timeoutMs?: number): Promise<boolean>;
  stop(): void;
}

/** Subscribes with a real graphql-ws client and collects `data` payloads. */
export function collect<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown> = {}): Collector<T> {
  const received: T[] = [];
  const errors: unknown[] = [];
  const waiters: Array<() => void> = [];
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(...value.errors);
        if (value.data) received.push(value.data as T);
        for (const w of waiters.splice(0)) w();
      },
      error: (err) => {
        errors.push(err);
        for (const w of waiters.splice(0)) w();
      },
      complete: () => undefined,
    },
  );
  return {
    received,
    errors,
    stop,
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} events, got ${received.length}: ${describeErrors(errors)}`)), timeoutMs);
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received);
          } else waiters.push(check);
        };
        check();
      });
    },
    waitUntil(done, timeoutMs = 5000) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        const check = () => {
          if (done()) {
            clearTimeout(timer);
            resolve(true);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/**
 * The errors a collector saw, readable in a failure message: a socket close (a `CloseEvent`, whose
 * fields JSON leaves out) as its code and reason, anything else as JSON.
 */
function describeErrors(errors: readonly unknown[]): string {
  return errors
    .map((e) => {
      if (e && typeof e === 'object' && 'code' in e && 'reason' in e && typeof (e as { code: unknown }).code === 'number') {
        return `socket closed ${(e as { code: number }).code} ${JSON.stringify((e as { reason: unknown }).reason)}`;
      }
      return e instanceof Error ? e.message : JSON.stringify(e);
    })
    .join('; ') || 'no errors';
}

/** Waits `ms` milliseconds (for asserting that nothing arrives during a quiet period). */
export const quietPeriod = (ms: number) => new Promise((r) => setTimeout(r, ms));
