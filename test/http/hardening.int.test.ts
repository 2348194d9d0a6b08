import { getIntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../src/config.js';
import { TestTenant } from '../helpers/builders.js';
import { gql, wsClient, type GqlResponse } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

type WireErrors = NonNullable<GqlResponse['errors']>;

/** Runs one operation over graphql-ws and resolves with what came back (data, or the error message's errors). */
function overWebSocket(client: Client, query: string): Promise<{ data?: unknown; errors?: WireErrors }> {
  return new Promise((resolve, reject) => {
    let data: unknown;
    client.subscribe(
      { query },
      {
        next: (value) => {
          if (value.errors) resolve({ errors: value.errors as WireErrors });
          data = value.data;
        },
        error: (err) => (Array.isArray(err) ? resolve({ errors: err as WireErrors }) : reject(new Error(`socket failed: ${JSON.stringify(err)}`))),
        complete: () => resolve({ data }),
      },
    );
  });
}

/** Opens a raw `ws` socket (no graphql-ws client) and reports whether the upgrade succeeded, and with what status. */
function upgrade(url: string, origin?: string): Promise<{ opened: boolean; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', origin ? { origin } : {});
    socket.once('open', () => {
      socket.close();
      resolve({ opened: true, status: 101 });
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', (err) => reject(err));
  });
}

/** A raw graphql-ws connection: connection_init with `authorization`, then the close code and reason. */
function initAndWaitForClose(url: string, authorization: string | undefined): { acked: Promise<number>; closed: Promise<{ code: number; reason: string; at: number }> } {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} })));
  const acked = new Promise<number>((resolve) =>
    socket.on('message', (raw) => {
      if ((JSON.parse(String(raw)) as { type: string }).type === 'connection_ack') resolve(Date.now());
    }),
  );
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  return { acked, closed };
}

const LIMITS = { CRADLE_MAX_QUERY_DEPTH: '3', CRADLE_MAX_ALIASES: '2', CRADLE_MAX_QUERY_COST: '50', CRADLE_MAX_DIRECTIVES: '3' };

describe('operation limits, on HTTP and WebSocket alike', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let ws: Client;

  beforeAll(async () => {
    ts = await startTestServer({ env: LIMITS });
    tenant = await TestTenant.create(ts);
    ws = wsClient(ts.wsUrl, tenant.admin.token);
  });
  afterAll(async () => {
    await ws?.dispose();
    await ts?.close();
  });

  const cases = [
    { limit: 'depth', query: '{ patients { edges { node { id } } } }' },
    { limit: 'aliases', query: '{ a: me { id } b: me { id } c: me { id } }' },
    { limit: 'cost', query: '{ patients(first: 30) { edges { node { id } } } }' },
    { limit: 'directives', query: '{ me { id @include(if: true) role @skip(if: false) } __typename @include(if: true) x: __typename @skip(if: false) }' },
  ];

  for (const { limit, query } of cases) {
    it(`refuses an operation over the ${limit} limit with GRAPHQL_VALIDATION_FAILED on both transports`, async () => {
      const http = await gql(ts.url, query, {}, tenant.admin.token);
      const socket = await overWebSocket(ws, query);
      for (const errors of [http.errors, socket.errors]) {
        const error = errors?.find((e) => e.message.includes(`(operation limit: ${limit})`));
        expect(error?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      }
      expect(http.status).toBe(400);
      expect(http.data).toBeUndefined();
      expect(socket.data).toBeUndefined();
      expect(socket.errors!.map((e) => e.message)).toEqual(http.errors!.map((e) => e.message));
    });
  }

  it('runs an operation within every limit on both transports', async () => {
    const query = '{ me { id role } }';
    const http = await gql(ts.url, query, {}, tenant.admin.token);
    expect(http.data).toEqual({ me: { id: tenant.admin.id, role: 'ADMIN' } });
    expect(await overWebSocket(ws, query)).toEqual({ data: { me: { id: tenant.admin.id, role: 'ADMIN' } } });
  });

  it('tags WebSocket parse errors GRAPHQL_PARSE_FAILED, as HTTP does', async () => {
    const http = await gql(ts.url, '{ me { id ', {}, tenant.admin.token);
    const socket = await overWebSocket(ws, '{ me { id ');
    expect(http.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(socket.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('production mode', () => {
  let dev: TestServer;
  let prod: TestServer;
  let prodTenant: TestTenant;
  let prodWs: Client;

  beforeAll(async () => {
    [dev, prod] = await Promise.all([startTestServer(), startTestServer({ env: { CRADLE_PRODUCTION: 'true' } })]);
    prodTenant = await TestTenant.create(prod);
    prodWs = wsClient(prod.wsUrl, prodTenant.admin.token);
  });
  afterAll(async () => {
    await prodWs?.dispose();
    await Promise.all([dev?.close(), prod?.close()]);
  });

  it('answers the standard introspection query outside production (the demo default), within the default limits', async () => {
    const res = await gql<{ __schema: { queryType: { name: string } } }>(dev.url, getIntrospectionQuery());
    expect(res.errors).toBeUndefined();
    expect(res.data?.__schema.queryType.name).toBe('Query');
  });

  it('refuses introspection in production on both transports', async () => {
    for (const query of [getIntrospectionQuery(), '{ __type(name: "Patient") { fields { name } } }']) {
      const http = await gql(prod.url, query, {}, prodTenant.admin.token);
      const socket = await overWebSocket(prodWs, query);
      expect(http.data).toBeUndefined();
      expect(socket.data).toBeUndefined();
      expect(http.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(socket.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(http.errors?.[0]?.message).toMatch(/introspection has been disabled/);
    }
  });

  it('answers __typename in production (it is not introspection)', async () => {
    expect((await gql(prod.url, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('suggests field names outside production but never in production, on either transport', async () => {
    const query = '{ patinets { edges { node { id } } } }';
    const devRes = await gql(dev.url, query);
    expect(devRes.errors?.[0]?.message).toMatch(/Did you mean "patients"/);
    const http = await gql(prod.url, query, {}, prodTenant.admin.token);
    const socket = await overWebSocket(prodWs, query);
    for (const errors of [http.errors, socket.errors]) {
      expect(errors?.[0]).toMatchObject({ message: 'Cannot query field "patinets" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
      expect(JSON.stringify(errors)).not.toMatch(/Did you mean/);
    }
  });

  it('sends no stack trace with an error in production', async () => {
    const res = await gql(prod.url, '{ patinets }');
    expect(JSON.stringify(res)).not.toMatch(/stacktrace|\bat .*\.(ts|js):\d+/);
  });

  it('answers an unexpected server fault in production with a bare INTERNAL_SERVER_ERROR: no stack, no SQL, no record values', async () => {
    const coordinator = await prodTenant.user('CARE_COORDINATOR');
    const patient = await prodTenant.patient(coordinator, { infant: { givenName: 'Wilhelmina', birthWeightGrams: 3311 } });
    const query = 'query($id: ID!) { patient(id: $id) { id familyName infants { givenName } } }';
    // A real fault inside the resolver chain: the application role loses its read on one table.
    await rawSql(prod, 'revoke select on "infant" from cradle_app');
    try {
      const res = await gql(prod.url, query, { id: patient.id }, coordinator.token);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
      const body = JSON.stringify(res);
      expect(body).not.toMatch(/stacktrace|\bat .*\.(ts|js):\d+|permission denied|select |"infant"|Wilhelmina|3311/i);
    } finally {
      await rawSql(prod, 'grant select on "infant" to cradle_app');
    }
    expect((await gql(prod.url, query, { id: patient.id }, coordinator.token)).errors).toBeUndefined();
  });
});

describe('CSRF prevention', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  const email = 'csrf-victim@test.example';
  const createUser = `mutation { createUser(input: { email: "${email}", password: "amber lantern quietly folds", role: MIDWIFE, displayName: "CSRF" }) { id } }`;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  async function userWasCreated(): Promise<boolean> {
    const res = await gql(ts.url, `mutation { login(email: "${email}", password: "amber lantern quietly folds") { accessToken } }`);
    return Boolean(res.data);
  }

  it('refuses a mutation sent as a simple GET request (no preflight) and does not run it', async () => {
    const res = await fetch(`${ts.url}?query=${encodeURIComponent(createUser)}`, { headers: { authorization: `Bearer ${tenant.admin.token}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
    expect(await userWasCreated()).toBe(false);
  });

  it('refuses a mutation over GET even with the preflight header (GET runs queries only)', async () => {
    const res = await fetch(`${ts.url}?query=${encodeURIComponent(createUser)}`, {
      headers: { authorization: `Bearer ${tenant.admin.token}`, 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(405);
    expect(await userWasCreated()).toBe(false);
  });

  it('refuses a text/plain POST (a simple request a hostile page can send) and does not run it', async () => {
    const res = await fetch(ts.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${tenant.admin.token}` },
      body: JSON.stringify({ query: createUser }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
    expect(await userWasCreated()).toBe(false);
  });
});

describe('WebSocket origin allow-list', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ALLOWED_ORIGINS: 'https://dashboard.cradle.example, http://localhost:5173' } });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('refuses the upgrade with 403 for a hostile Origin', async () => {
    expect(await upgrade(ts.wsUrl, 'https://evil.example')).toEqual({ opened: false, status: 403 });
    expect(await upgrade(ts.wsUrl, 'null')).toEqual({ opened: false, status: 403 });
  });

  it('accepts a listed origin, the server\'s own host, and a client that sends no Origin', async () => {
    const ownHost = `http://${new URL(ts.wsUrl).host}`;
    for (const origin of ['https://dashboard.cradle.example', 'http://localhost:5173', ownHost, undefined]) {
      expect({ origin, ...(await upgrade(ts.wsUrl, origin)) }).toEqual({ origin, opened: true, status: 101 });
    }
  });

  it('accepts only no-Origin and same-host clients when no origins are configured', async () => {
    const plain = await startTestServer();
    try {
      expect(await upgrade(plain.wsUrl, 'https://dashboard.cradle.example')).toEqual({ opened: false, status: 403 });
      expect(await upgrade(plain.wsUrl, `http://${new URL(plain.wsUrl).host}`)).toEqual({ opened: true, status: 101 });
      expect(await upgrade(plain.wsUrl)).toEqual({ opened: true, status: 101 });
    } finally {
      await plain.close();
    }
  });

  it('refuses to start with an entry that is not an origin, naming the variable and each entry', () => {
    const problems = (() => {
      try {
        loadConfig({ CRADLE_ALLOWED_ORIGINS: 'https://ok.example,dashboard.example,https://x.example/path' });
        return [];
      } catch (err) {
        return err instanceof ConfigError ? err.problems : [String(err)];
      }
    })();
    expect(problems).toEqual([
      expect.stringMatching(/^CRADLE_ALLOWED_ORIGINS: "dashboard.example" is not an origin/),
      expect.stringMatching(/^CRADLE_ALLOWED_ORIGINS: "https:\/\/x.example\/path" is not an origin/),
    ]);
    expect(loadConfig({ CRADLE_ALLOWED_ORIGINS: 'https://Dashboard.Example:443/ , http://localhost:5173' }).allowedOrigins).toEqual([
      'https://dashboard.example',
      'http://localhost:5173',
    ]);
  });
});

describe('WebSocket authentication lifecycle', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3' } });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('closes with 4401 Unauthorized when connection_init carries no token or a bad one', async () => {
    for (const authorization of [undefined, 'Bearer not-a-token', 'Basic abc']) {
      const { closed } = initAndWaitForClose(ts.wsUrl, authorization);
      expect({ authorization, ...(await closed), at: 0 }).toEqual({ authorization, code: 4401, reason: 'Unauthorized', at: 0 });
    }
  });

  it('closes a connection with 4401 Token expired when its access token expires, not before', async () => {
    const tenant = await TestTenant.create(ts);
    const exp = (JSON.parse(Buffer.from(tenant.admin.token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    const { acked, closed } = initAndWaitForClose(ts.wsUrl, `Bearer ${tenant.admin.token}`);
    const ackedAt = await acked;
    expect(ackedAt).toBeLessThan(exp);
    const { code, reason, at } = await closed;
    expect({ code, reason }).toEqual({ code: 4401, reason: 'Token expired' });
    expect(at).toBeGreaterThanOrEqual(exp - 50);
    expect(at).toBeLessThan(exp + 1500);
  });
});
