import { createHash } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestTenant, type TestUser } from '../helpers/builders.js';
import { gql, wsClient, type GqlResponse } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type WireErrors = NonNullable<GqlResponse['errors']>;

/** What a client mistake must come back as: the status over HTTP and the code (and field, for BAD_USER_INPUT). */
interface Expected {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
}

/** One malformed HTTP request, as raw as a client could send it. */
interface HttpCase {
  readonly mistake: string;
  readonly method?: string;
  /** The query string of a GET, without `?`. */
  readonly search?: string;
  readonly contentType?: string;
  /** The body as sent; an object is sent as JSON. */
  readonly body?: string | object;
  readonly expected: Expected;
}

const ME = '{ me { id } }';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const HTTP_CASES: readonly HttpCase[] = [
  { mistake: 'a body that is not valid JSON', body: '{"query": "{ me { id } }"', expected: { status: 400, code: 'BAD_USER_INPUT', field: 'body' } },
  { mistake: 'a JSON body that is not an object', body: '"{ me { id } }"', expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'an empty JSON body', body: '', expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'a body of a content type that is not JSON', contentType: 'application/xml', body: '<query>{ me { id } }</query>', expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'a simple content type without a preflight header (CSRF prevention)', contentType: 'text/plain', body: JSON.stringify({ query: ME }), expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'no query and no persisted-query hash', body: { variables: {} }, expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'a query that is not a string', body: { query: 42 }, expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'variables that are not an object', body: { query: ME, variables: [1, 2] }, expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'variables sent as a JSON-encoded string', body: { query: ME, variables: '{}' }, expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'an operationName that is not a string', body: { query: ME, operationName: 7 }, expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'extensions that are not an object', body: { query: ME, extensions: 7 }, expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'a batch of operations (batching is off)', body: [{ query: ME }, { query: ME }], expected: { status: 400, code: 'BAD_REQUEST' } },
  {
    mistake: 'several operations without an operationName',
    body: { query: 'query A { me { id } } query B { me { role } }' },
    expected: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
  },
  {
    mistake: 'an operationName the document does not contain',
    body: { query: 'query A { me { id } }', operationName: 'B' },
    expected: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
  },
  { mistake: 'a subscription sent over HTTP', body: { query: 'subscription { alerts { cursor } }' }, expected: { status: 400, code: 'BAD_REQUEST' } },
  {
    mistake: 'a subscription named among several operations, sent over HTTP',
    body: { query: 'query A { me { id } } subscription B { alerts { cursor } }', operationName: 'B' },
    expected: { status: 400, code: 'BAD_REQUEST' },
  },
  {
    mistake: 'a persisted-query hash the server does not know (the client then retries with the query)',
    body: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { id role } }') } } },
    expected: { status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' },
  },
  {
    mistake: 'a persisted-query hash that is not the hash of the query sent with it',
    body: { query: ME, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { role } }') } } },
    expected: { status: 400, code: 'BAD_REQUEST' },
  },
  {
    mistake: 'a persisted-query version the server does not speak',
    body: { query: ME, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(ME) } } },
    expected: { status: 400, code: 'BAD_REQUEST' },
  },
  { mistake: 'a mutation sent with GET', method: 'GET', search: `query=${encodeURIComponent('mutation { logout }')}`, expected: { status: 405, code: 'BAD_REQUEST' } },
  { mistake: 'a GET without a query', method: 'GET', search: '', expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'GET variables that are not JSON', method: 'GET', search: `query=${encodeURIComponent(ME)}&variables=%7Bx`, expected: { status: 400, code: 'BAD_REQUEST' } },
  { mistake: 'a method other than GET and POST', method: 'PUT', body: { query: ME }, expected: { status: 405, code: 'BAD_REQUEST' } },
  { mistake: 'a document that does not parse', body: { query: '{ me { id ' }, expected: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } },
  { mistake: 'a field the schema does not have', body: { query: '{ me { id shoeSize } }' }, expected: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  {
    mistake: 'a variable value of the wrong type',
    body: { query: 'query($id: ID!) { patient(id: $id) { id } }', variables: { id: { nested: true } } },
    expected: { status: 400, code: 'BAD_USER_INPUT', field: 'id' },
  },
  {
    mistake: 'a required variable left out',
    body: { query: 'query($id: ID!) { patient(id: $id) { id } }', variables: {} },
    expected: { status: 400, code: 'BAD_USER_INPUT', field: 'id' },
  },
];

/** How to send a request: a {@link HttpCase} without its name and expectation. */
type HttpRequest = Omit<HttpCase, 'mistake' | 'expected'>;

/** Sends one request over real HTTP; resolves with the status and the parsed body. */
async function send(url: string, token: string, c: HttpRequest): Promise<{ status: number; body: { data?: unknown; errors?: WireErrors } }> {
  const method = c.method ?? 'POST';
  const target = c.search !== undefined ? `${url}?${c.search}` : url;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (method === 'GET') headers['apollo-require-preflight'] = 'true';
  else headers['content-type'] = c.contentType ?? 'application/json';
  const body = method === 'GET' ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  const res = await fetch(target, { method, headers, body });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: WireErrors } };
}

/** Runs one operation over a graphql-ws client; resolves with the errors it was refused with, or its data. */
function overWebSocket(client: Client, payload: { query: string; operationName?: string; variables?: Record<string, unknown> }): Promise<{ data?: unknown; errors?: WireErrors }> {
  return new Promise((resolve, reject) => {
    let data: unknown;
    client.subscribe(payload, {
      next: (value) => {
        if (value.errors) resolve({ errors: value.errors as WireErrors });
        data = value.data;
      },
      error: (err) => (Array.isArray(err) ? resolve({ errors: err as WireErrors }) : reject(new Error(`socket failed: ${JSON.stringify(err)}`))),
      complete: () => resolve({ data }),
    });
  });
}

/**
 * Opens a raw graphql-ws connection, waits for the acknowledgement, sends `frame` and resolves with
 * the close code and reason the server answers it with.
 */
function closeAfter(wsUrl: string, token: string, frame: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (raw) => {
      if ((JSON.parse(String(raw)) as { type: string }).type === 'connection_ack') socket.send(frame);
    });
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.once('error', reject);
  });
}

describe('client mistakes answer with a client code, never INTERNAL_SERVER_ERROR', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let midwife: TestUser;
  let ws: Client;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    midwife = await tenant.user('MIDWIFE');
    ws = wsClient(ts.wsUrl, midwife.token);
  });
  afterAll(async () => {
    await ws?.dispose();
    await ts?.close();
  });

  describe('over HTTP', () => {
    it('answers a well-formed query with data and 200 (the control for every refusal below)', async () => {
      const res = await send(ts.url, midwife.token, { body: { query: ME } });
      expect(res).toEqual({ status: 200, body: { data: { me: { id: midwife.id } } } });
    });

    it.each(HTTP_CASES)('answers $mistake with $expected.code and HTTP $expected.status', async (c) => {
      const res = await send(ts.url, midwife.token, c);
      expect(res.body.errors, JSON.stringify(res.body)).toHaveLength(1);
      const error = res.body.errors![0]!;
      expect({ status: res.status, code: error.extensions?.code, field: error.extensions?.field }).toEqual({
        status: c.expected.status,
        code: c.expected.code,
        field: c.expected.field,
      });
      expect(res.body.data ?? null).toBeNull();
    });
  });

  describe('automatic persisted queries', () => {
    it('lets a client that got PERSISTED_QUERY_NOT_FOUND register the query and then run it by its hash alone', async () => {
      const query = 'query WhoAmI { me { id role } }';
      const persistedQuery = { version: 1, sha256Hash: sha256(query) };
      const byHash = { body: { operationName: 'WhoAmI', extensions: { persistedQuery } } };
      const miss = await send(ts.url, midwife.token, byHash);
      expect(miss.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(miss.body.errors?.[0]?.message).toBe('PersistedQueryNotFound');

      const retry = await send(ts.url, midwife.token, { ...byHash, body: { ...byHash.body, query } });
      expect(retry).toEqual({ status: 200, body: { data: { me: { id: midwife.id, role: 'MIDWIFE' } } } });

      const hit = await send(ts.url, midwife.token, byHash);
      expect(hit).toEqual({ status: 200, body: { data: { me: { id: midwife.id, role: 'MIDWIFE' } } } });
    });
  });

  describe('over WebSocket (graphql-ws)', () => {
    const WS_CASES = [
      { mistake: 'a document that does not parse', payload: { query: '{ me { id ' }, code: 'GRAPHQL_PARSE_FAILED' },
      { mistake: 'a field the schema does not have', payload: { query: '{ me { id shoeSize } }' }, code: 'GRAPHQL_VALIDATION_FAILED' },
      { mistake: 'several operations without an operationName', payload: { query: 'query A { me { id } } query B { me { role } }' }, code: 'OPERATION_RESOLUTION_FAILURE' },
      { mistake: 'an operationName the document does not contain', payload: { query: 'query A { me { id } }', operationName: 'B' }, code: 'OPERATION_RESOLUTION_FAILURE' },
      {
        mistake: 'a variable value of the wrong type',
        payload: { query: 'query($id: ID!) { patient(id: $id) { id } }', variables: { id: { nested: true } } },
        code: 'BAD_USER_INPUT',
        field: 'id',
      },
      { mistake: 'a required variable left out', payload: { query: 'query($id: ID!) { patient(id: $id) { id } }', variables: {} }, code: 'BAD_USER_INPUT', field: 'id' },
      {
        mistake: 'a subscription variable of the wrong type',
        payload: { query: 'subscription($since: String) { alerts(since: $since) { cursor } }', variables: { since: 5 } },
        code: 'BAD_USER_INPUT',
        field: 'since',
      },
    ];

    it('answers a well-formed query and runs the named one of several operations (the controls)', async () => {
      expect(await overWebSocket(ws, { query: ME })).toEqual({ data: { me: { id: midwife.id } } });
      expect(await overWebSocket(ws, { query: 'query A { me { id } } query B { me { role } }', operationName: 'B' })).toEqual({ data: { me: { role: 'MIDWIFE' } } });
    });

    it.each(WS_CASES)('answers $mistake with $code', async ({ payload, code, field }) => {
      const res = await overWebSocket(ws, payload);
      expect(res.errors, JSON.stringify(res)).toHaveLength(1);
      expect({ code: res.errors![0]!.extensions?.code, field: res.errors![0]!.extensions?.field }).toEqual({ code, field });
      expect(res.data).toBeUndefined();
    });

    it.each(WS_CASES.filter((c) => !c.payload.query.startsWith('subscription')))('says the same as HTTP about $mistake', async ({ payload }) => {
      const http = await send(ts.url, midwife.token, { body: payload });
      const socket = await overWebSocket(ws, payload);
      expect(socket.errors).toEqual(http.body.errors);
    });

    it.each([
      { mistake: 'a subscribe message whose query is not a string', frame: JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 42 } }) },
      { mistake: 'a subscribe message with only a persisted-query hash', frame: JSON.stringify({ id: '1', type: 'subscribe', payload: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } } }) },
      { mistake: 'a frame that is not JSON', frame: '{"id": "1", "type": "subscribe"' },
      { mistake: 'a message of an unknown type', frame: JSON.stringify({ id: '1', type: 'execute', payload: { query: ME } }) },
    ])('closes the socket with 4400 Bad Request on $mistake', async ({ frame }) => {
      expect((await closeAfter(ts.wsUrl, midwife.token, frame)).code).toBe(4400);
    });
  });
});
