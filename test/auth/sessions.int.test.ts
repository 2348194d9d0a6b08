import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestTenant, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, type GqlResponse } from '../helpers/graphql-client.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';

const LOGIN = `mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken expiresAt user { id role tenantId } }
}`;
const REFRESH = `mutation($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) { accessToken refreshToken expiresAt user { id role tenantId } }
}`;
const LOGOUT = `mutation { logout }`;
const ME = `query { me { id } }`;

interface Payload {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; role: string; tenantId: string };
}

const MINUTE = 60_000;
let seq = 0;
const unknownEmail = () => `nobody-${Date.now().toString(36)}-${seq++}@sessions.example`;

/** A server whose clock only moves when a test moves it. */
function serverWithFakeClock(env: Record<string, string> = {}): Promise<{ ts: TestServer; clock: { now: number } }> {
  return startTestServerWithClock(Date.now(), { env });
}

async function login(ts: TestServer, email: string, password = TEST_PASSWORD): Promise<GqlResponse<{ login: Payload }>> {
  return gql<{ login: Payload }>(ts.url, LOGIN, { email, password });
}

async function loginOk(ts: TestServer, email: string): Promise<Payload> {
  const res = await login(ts, email);
  expect(res.errors).toBeUndefined();
  return res.data!.login;
}

async function refresh(ts: TestServer, refreshToken: string): Promise<GqlResponse<{ refreshSession: Payload }>> {
  return gql<{ refreshSession: Payload }>(ts.url, REFRESH, { refreshToken });
}

/** The signed-in user's id, or the error code when the token is refused. */
async function whoAmI(ts: TestServer, accessToken: string): Promise<string | undefined> {
  const res = await gql<{ me: { id: string } }>(ts.url, ME, {}, accessToken);
  return res.data?.me.id ?? errorOf(res).code;
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const sql = rawSql;

describe('sessions: refresh rotation, reuse detection, logout, idle logoff', () => {
  let ts: TestServer;
  let clock: { now: number };
  let midwife: TestUser;

  beforeAll(async () => {
    // Idle logoff shorter than the access token's 15 minutes, so an idle session's token is still unexpired.
    ({ ts, clock } = await serverWithFakeClock({ CRADLE_SESSION_IDLE_MINUTES: '5' }));
    const tenant = await TestTenant.create(ts);
    midwife = await tenant.user('MIDWIFE');
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('binds the access token to a session and rotates the refresh token; the new access token works', async () => {
    const first = await loginOk(ts, midwife.email);
    expect(claims(first.accessToken)['sid']).toEqual(expect.any(String));
    expect(first.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const res = await refresh(ts, first.refreshToken);
    expect(res.errors).toBeUndefined();
    const second = res.data!.refreshSession;
    expect(second.user).toEqual(first.user);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(claims(second.accessToken)['sid']).not.toBe(claims(first.accessToken)['sid']);
    expect(await whoAmI(ts, second.accessToken)).toBe(midwife.id);
    // The predecessor session ended with the rotation.
    expect(await whoAmI(ts, first.accessToken)).toBe('UNAUTHENTICATED');
  });

  it('answers a reused refresh token with UNAUTHENTICATED and revokes the whole family at once', async () => {
    const first = await loginOk(ts, midwife.email);
    const second = (await refresh(ts, first.refreshToken)).data!.refreshSession;
    const third = (await refresh(ts, second.refreshToken)).data!.refreshSession;
    const otherLogin = await loginOk(ts, midwife.email);
    expect(await whoAmI(ts, third.accessToken)).toBe(midwife.id);

    const reuse = await refresh(ts, first.refreshToken);
    expect(reuse.data ?? null).toBeNull();
    expect(errorOf(reuse).code).toBe('UNAUTHENTICATED');

    expect(await whoAmI(ts, third.accessToken)).toBe('UNAUTHENTICATED');
    expect(errorOf(await refresh(ts, third.refreshToken)).code).toBe('UNAUTHENTICATED');
    // Another login of the same user is another family, untouched.
    expect(await whoAmI(ts, otherLogin.accessToken)).toBe(midwife.id);

    const family = await sql(ts, `select "id", "revoked_reason" from "auth_session" where "family_id" = ?`, [claims(first.accessToken)['sid']]);
    const reasons = Object.fromEntries(family.map((r) => [r['id'], r['revoked_reason']]));
    expect(reasons).toEqual({
      [claims(first.accessToken)['sid'] as string]: 'ROTATED',
      [claims(second.accessToken)['sid'] as string]: 'ROTATED',
      [claims(third.accessToken)['sid'] as string]: 'REFRESH_TOKEN_REUSE',
    });
  });

  it('makes the access token and the refresh token unusable at once on logout', async () => {
    const session = await loginOk(ts, midwife.email);
    expect(await whoAmI(ts, session.accessToken)).toBe(midwife.id);

    const res = await gql<{ logout: boolean }>(ts.url, LOGOUT, {}, session.accessToken);
    expect(res.errors).toBeUndefined();
    expect(res.data!.logout).toBe(true);

    expect(await whoAmI(ts, session.accessToken)).toBe('UNAUTHENTICATED');
    expect(errorOf(await refresh(ts, session.refreshToken)).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await gql(ts.url, LOGOUT, {}, session.accessToken)).code).toBe('UNAUTHENTICATED');
  });

  it('keeps an active session alive and logs an idle one off while its access token is still unexpired', async () => {
    const session = await loginOk(ts, midwife.email);
    clock.now += 4 * MINUTE;
    expect(await whoAmI(ts, session.accessToken)).toBe(midwife.id);
    clock.now += 4 * MINUTE;
    // Eight minutes after login, four after the last request: still within the five-minute idle limit.
    expect(await whoAmI(ts, session.accessToken)).toBe(midwife.id);

    clock.now += 5 * MINUTE + 1000;
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(clock.now);
    expect(await whoAmI(ts, session.accessToken)).toBe('UNAUTHENTICATED');
    expect(errorOf(await refresh(ts, session.refreshToken)).code).toBe('UNAUTHENTICATED');
  });

  it('stores the password only as an argon2id hash, and issues 15-minute access tokens with a key id', async () => {
    const [row] = await sql(ts, 'select password_hash from app_user where id = ?', [midwife.id]);
    expect(String(row!['password_hash'])).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    const { accessToken } = await loginOk(ts, midwife.email);
    const { exp, iat } = claims(accessToken) as { exp: number; iat: number };
    expect(exp - iat).toBe(15 * 60);
    expect(JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString('utf8'))).toMatchObject({ kid: expect.any(String) });
  });

  it('stores the refresh token only as its SHA-256 hash', async () => {
    const session = await loginOk(ts, midwife.email);
    const rows = await sql(ts, `select * from "auth_session" where "id" = ?`, [claims(session.accessToken)['sid']]);
    expect(rows).toHaveLength(1);
    const values = Object.values(rows[0]!).map((v) => (v instanceof Date ? v.toISOString() : String(v)));
    for (const value of values) {
      expect(value).not.toContain(session.refreshToken);
      expect(value).not.toContain(session.accessToken);
    }
    expect(rows[0]!['refresh_token_hash']).toBe(createHash('sha256').update(session.refreshToken).digest('hex'));
  });

  it('lets one of two simultaneous presentations of a refresh token succeed, and then revokes the family', async () => {
    const session = await loginOk(ts, midwife.email);
    const results = await Promise.all([refresh(ts, session.refreshToken), refresh(ts, session.refreshToken)]);
    const succeeded = results.filter((r) => r.data?.refreshSession).map((r) => r.data!.refreshSession);
    expect(succeeded).toHaveLength(1);
    expect(results.map((r) => errorOf(r).code).filter(Boolean)).toEqual(['UNAUTHENTICATED']);
    expect(await whoAmI(ts, succeeded[0]!.accessToken)).toBe('UNAUTHENTICATED');
  });

  it('refuses a validly signed access token that names no session', async () => {
    const { token } = await ts.server.services.tokens.issue({ id: midwife.id, tenantId: (await loginOk(ts, midwife.email)).user.tenantId, role: 'MIDWIFE' });
    expect(await whoAmI(ts, token)).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown refresh token with UNAUTHENTICATED', async () => {
    const res = await refresh(ts, 'A'.repeat(43));
    expect(res.data ?? null).toBeNull();
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
  });
});

describe('login lockout per account', () => {
  let ts: TestServer;
  let clock: { now: number };
  let tenant: TestTenant;

  beforeAll(async () => {
    ({ ts, clock } = await serverWithFakeClock());
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('after 5 failures refuses an existing and an unknown e-mail alike with RATE_LIMITED, the right password too', async () => {
    const user = await tenant.user('CARE_COORDINATOR');
    const nobody = unknownEmail();
    const refusals: GqlResponse[] = [];
    for (const email of [user.email, nobody]) {
      for (let i = 0; i < 5; i++) expect(errorOf(await login(ts, email, 'wrong password, try again')).code).toBe('UNAUTHENTICATED');
      const refused = await login(ts, email, TEST_PASSWORD);
      expect(refused.data ?? null).toBeNull();
      refusals.push(refused);
    }
    for (const refused of refusals) {
      expect(refused.errors![0]!.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 60 });
    }
    expect(refusals[0]!.errors![0]!.message).toBe(refusals[1]!.errors![0]!.message);

    clock.now += 61_000;
    expect((await loginOk(ts, user.email)).user.id).toBe(user.id);
  });

  it('doubles the lockout each time the failures go on', async () => {
    const nobody = unknownEmail();
    const retryAfter: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) expect(errorOf(await login(ts, nobody, 'still wrong, again')).code).toBe('UNAUTHENTICATED');
      const refused = await login(ts, nobody, 'still wrong, again');
      retryAfter.push(refused.errors?.[0]?.extensions?.['retryAfterSeconds']);
      clock.now += (refused.errors?.[0]?.extensions?.['retryAfterSeconds'] as number) * 1000;
    }
    expect(retryAfter).toEqual([60, 120, 240]);
  });
});

describe('login lockout per client address', () => {
  let ts: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    ({ ts } = await serverWithFakeClock());
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('after 20 failures from one address refuses every account from it, even with the right password', async () => {
    for (let i = 0; i < 20; i++) expect(errorOf(await login(ts, unknownEmail(), 'spraying passwords')).code).toBe('UNAUTHENTICATED');
    const refused = await login(ts, tenant.admin.email, TEST_PASSWORD);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors![0]!.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 60 });
  });

  it('keeps no e-mail address in the lockout counters', async () => {
    const rows = await sql(ts, `select "key" from "login_throttle"`);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(String(row['key'])).toMatch(/^(account:[0-9a-f]{64}|ip:[0-9a-f.:]+)$/);
  });
});
