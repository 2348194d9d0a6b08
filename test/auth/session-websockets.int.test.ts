import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestTenant, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken expiresAt } }`;
const REFRESH = `mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { accessToken refreshToken expiresAt } }`;
const LOGOUT = `mutation { logout }`;
const ME = `query { me { id } }`;

/** How soon "at once" must be: far below the 15-minute access token these tests use. */
const AT_ONCE_MS = 3000;

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
}

interface Closed {
  code: number;
  reason: string;
  at: number;
}

/** An open, authenticated graphql-ws connection and how it ended. */
interface OpenSocket {
  readonly client: Client;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<Closed>;
  /** Whether the connection is still open. */
  isOpen(): boolean;
  /** Runs `me` over the connection: the signed-in user's id. */
  me(): Promise<string>;
}

const clients: Client[] = [];

async function signIn(ts: TestServer, user: TestUser): Promise<Tokens> {
  return (await gqlOk<{ login: Tokens }>(ts.url, LOGIN, { email: user.email, password: TEST_PASSWORD })).login;
}

function meOver(client: Client): Promise<string> {
  return new Promise((resolve, reject) => {
    client.subscribe<{ me: { id: string } }>(
      { query: ME },
      {
        next: (value) => (value.data ? resolve(value.data.me.id) : reject(new Error(JSON.stringify(value.errors)))),
        error: (err) => reject(new Error(`socket failed: ${JSON.stringify(err)}`)),
        complete: () => undefined,
      },
    );
  });
}

/** Opens a real graphql-ws connection with `accessToken` and proves it authenticated by running `me` over it. */
async function openSocket(wsUrl: string, accessToken: string): Promise<OpenSocket> {
  let open = true;
  let settle!: (closed: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (settle = resolve));
  const client = wsClient(wsUrl, accessToken, (code, reason) => {
    open = false;
    settle({ code, reason, at: Date.now() });
  });
  clients.push(client);
  await meOver(client);
  return { client, closed, isOpen: () => open, me: () => meOver(client) };
}

/** Resolves with the close, or fails the test if the server has not closed the socket within `ms`. */
async function closedWithin(socket: OpenSocket, ms = AT_ONCE_MS): Promise<Closed> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms).unref());
  return Promise.race([socket.closed, timeout]);
}

const codeAndReason = ({ code, reason }: Closed) => ({ code, reason });

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

describe('WebSockets of ended sessions, on one instance', () => {
  let ts: TestServer;
  let midwife: TestUser;
  let coordinator: TestUser;

  beforeAll(async () => {
    ts = await startTestServer();
    const tenant = await TestTenant.create(ts);
    midwife = await tenant.user('MIDWIFE');
    coordinator = await tenant.user('CARE_COORDINATOR');
  });
  afterAll(async () => {
    await ts?.close();
  });

  it("closes the user's open WebSocket with 4401 Session revoked at once on logout, long before its token expires; another user's stays open", async () => {
    const session = await signIn(ts, midwife);
    const own = await openSocket(ts.wsUrl, session.accessToken);
    const secondOwn = await openSocket(ts.wsUrl, session.accessToken);
    const other = await openSocket(ts.wsUrl, coordinator.token);

    const loggedOutAt = Date.now();
    expect((await gqlOk<{ logout: boolean }>(ts.url, LOGOUT, {}, session.accessToken)).logout).toBe(true);

    for (const socket of [own, secondOwn]) {
      const closed = await closedWithin(socket);
      expect(codeAndReason(closed)).toEqual({ code: 4401, reason: 'Session revoked' });
      expect(closed.at - loggedOutAt).toBeLessThan(AT_ONCE_MS);
    }
    expect(Date.parse(session.expiresAt) - Date.now()).toBeGreaterThan(10 * 60_000);
    expect(await other.me()).toBe(coordinator.id);
    expect(other.isOpen()).toBe(true);
  });

  it('closes the WebSocket of a refreshed session with 4401 Session rotated; the new access token opens one', async () => {
    const first = await signIn(ts, midwife);
    const socket = await openSocket(ts.wsUrl, first.accessToken);

    const second = (await gqlOk<{ refreshSession: Tokens }>(ts.url, REFRESH, { refreshToken: first.refreshToken })).refreshSession;

    expect(codeAndReason(await closedWithin(socket))).toEqual({ code: 4401, reason: 'Session rotated' });
    const reconnected = await openSocket(ts.wsUrl, second.accessToken);
    expect(await reconnected.me()).toBe(midwife.id);
  });

  it("closes every WebSocket of the login's family with 4401 Session revoked when a refresh token is reused; another login's stays open", async () => {
    const first = await signIn(ts, midwife);
    const second = (await gqlOk<{ refreshSession: Tokens }>(ts.url, REFRESH, { refreshToken: first.refreshToken })).refreshSession;
    const familySockets = [await openSocket(ts.wsUrl, second.accessToken), await openSocket(ts.wsUrl, second.accessToken)];
    const otherLogin = await openSocket(ts.wsUrl, (await signIn(ts, midwife)).accessToken);

    const reuse = await gql(ts.url, REFRESH, { refreshToken: first.refreshToken });
    expect(errorOf(reuse).code).toBe('UNAUTHENTICATED');

    for (const socket of familySockets) expect(codeAndReason(await closedWithin(socket))).toEqual({ code: 4401, reason: 'Session revoked' });
    expect(await otherLogin.me()).toBe(midwife.id);
    expect(otherLogin.isOpen()).toBe(true);
  });

  it('refuses a new WebSocket with an ended session with 4401 Unauthorized', async () => {
    const session = await signIn(ts, midwife);
    await gqlOk(ts.url, LOGOUT, {}, session.accessToken);
    let settle!: (closed: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => (settle = resolve));
    clients.push(wsClient(ts.wsUrl, session.accessToken, (code, reason) => settle({ code, reason })));
    expect(await closed).toEqual({ code: 4401, reason: 'Unauthorized' });
  });
});

describe('WebSockets of sessions that go idle', () => {
  let ts: TestServer;
  const clock = { now: Date.now() };
  let midwife: TestUser;

  beforeAll(async () => {
    ts = await startTestServer({ now: () => clock.now, env: { CRADLE_SESSION_IDLE_MINUTES: '5' } });
    midwife = await (await TestTenant.create(ts)).user('MIDWIFE');
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('leaves the WebSocket of an idle session open until a request finds the session idle, then closes it with 4401 Session revoked', async () => {
    const session = await signIn(ts, midwife);
    const socket = await openSocket(ts.wsUrl, session.accessToken);

    clock.now += 6 * 60_000;
    await quietPeriod(300);
    expect(socket.isOpen()).toBe(true);

    const res = await gql(ts.url, ME, {}, session.accessToken);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
    expect(codeAndReason(await closedWithin(socket))).toEqual({ code: 4401, reason: 'Session revoked' });
  });
});

describe('WebSockets of ended sessions, across instances', () => {
  let a: TestServer;
  let b: TestServer;
  let midwife: TestUser;
  let coordinator: TestUser;

  beforeAll(async () => {
    a = await startTestServer();
    b = await startTestServer({ shareWith: a });
    const tenant = await TestTenant.create(a);
    midwife = await tenant.user('MIDWIFE');
    coordinator = await tenant.user('CARE_COORDINATOR');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("closes the user's WebSocket on instance B with 4401 Session revoked at once when she logs out on instance A", async () => {
    const session = await signIn(a, midwife);
    const onB = await openSocket(b.wsUrl, session.accessToken);
    const otherOnB = await openSocket(b.wsUrl, coordinator.token);

    const loggedOutAt = Date.now();
    await gqlOk(a.url, LOGOUT, {}, session.accessToken);

    const closed = await closedWithin(onB);
    expect(codeAndReason(closed)).toEqual({ code: 4401, reason: 'Session revoked' });
    expect(closed.at - loggedOutAt).toBeLessThan(AT_ONCE_MS);
    expect(await otherOnB.me()).toBe(coordinator.id);
  });

  it('closes the WebSocket on instance A with 4401 Session rotated when the session is refreshed on instance B', async () => {
    const first = await signIn(a, midwife);
    const onA = await openSocket(a.wsUrl, first.accessToken);

    await gqlOk(b.url, REFRESH, { refreshToken: first.refreshToken });

    expect(codeAndReason(await closedWithin(onA))).toEqual({ code: 4401, reason: 'Session rotated' });
  });
});
