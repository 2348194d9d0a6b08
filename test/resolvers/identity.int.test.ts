import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestTenant, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, type GqlResponse } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const LOGIN = `mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken expiresAt user { id role tenantId } }
}`;
const ME = `query { me { id role tenantId email displayName } }`;
const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email role tenantId displayName } }`;

interface LoginData {
  login: { accessToken: string; expiresAt: string; user: { id: string; role: string; tenantId: string } };
}

/** Decodes one base64url JSON segment of a JWT. */
function jwtSegment(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Changes the first character of a JWT's signature. (Not the last: its low bits are base64url
 * padding, so some changes there decode to the same signature and leave the token valid.)
 */
function tamperSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
}

/** Re-signs nothing: swaps the payload's role for ADMIN, keeping header and signature. */
function tamperPayload(token: string): string {
  const [header, , signature] = token.split('.');
  const payload = { ...jwtSegment(token, 1), role: 'ADMIN' };
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
}

let seq = 0;
const freshEmail = (label: string) => `${label}-${Date.now().toString(36)}-${seq++}@identity.example`;

describe('identity: login, me and createUser', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;

  const createUser = (input: Record<string, unknown>, token: string) =>
    gql<{ createUser: { id: string; email: string; role: string; tenantId: string; displayName: string } }>(ts.url, CREATE_USER, { input }, token);
  const login = (email: string, password: string) => gql<LoginData>(ts.url, LOGIN, { email, password });

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR', 'Cora Coordinator');
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('returns a login token that authenticates me with the same id, role, tenant and e-mail', async () => {
    const res = await login(coordinator.email, TEST_PASSWORD);
    expect(res.errors).toBeUndefined();
    const { accessToken, expiresAt, user } = res.data!.login;
    expect(user).toEqual({ id: coordinator.id, role: 'CARE_COORDINATOR', tenantId: tenant.id });
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());

    const me = await gqlOk<{ me: Record<string, string> }>(ts.url, ME, {}, accessToken);
    expect(me.me).toEqual({ id: coordinator.id, role: 'CARE_COORDINATOR', tenantId: tenant.id, email: coordinator.email, displayName: 'Cora Coordinator' });
  });

  it('answers a wrong password and an unknown e-mail with the same UNAUTHENTICATED error', async () => {
    const wrongPassword = await login(coordinator.email, 'not the right password at all');
    const unknownEmail = await login(freshEmail('nobody'), TEST_PASSWORD);
    for (const res of [wrongPassword, unknownEmail]) {
      expect(res.data ?? null).toBeNull();
      expect(errorOf(res).code).toBe('UNAUTHENTICATED');
    }
    expect(wrongPassword.errors![0]!.message).toBe(unknownEmail.errors![0]!.message);
    expect(wrongPassword.errors![0]!.extensions).toEqual(unknownEmail.errors![0]!.extensions);
    expect(wrongPassword.errors![0]!.message).not.toContain(coordinator.email);
  });

  it('rejects me without a token, with a garbage token and with a tampered token as UNAUTHENTICATED', async () => {
    const token = coordinator.token;
    const attempts: Array<[string, GqlResponse]> = [
      ['no token', await gql(ts.url, ME)],
      ['garbage', await gql(ts.url, ME, {}, 'not-a-jwt')],
      ['three garbage segments', await gql(ts.url, ME, {}, 'aaa.bbb.ccc')],
      ['tampered signature', await gql(ts.url, ME, {}, tamperSignature(token))],
      ['tampered payload', await gql(ts.url, ME, {}, tamperPayload(token))],
      ['unsigned', await gql(ts.url, ME, {}, `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`)],
    ];
    for (const [label, res] of attempts) {
      expect({ label, data: res.data ?? null, code: errorOf(res).code }).toEqual({ label, data: null, code: 'UNAUTHENTICATED' });
    }
    expect((await gqlOk<{ me: { id: string } }>(ts.url, ME, {}, token)).me.id).toBe(coordinator.id);
  });

  it('lets an ADMIN create a user in its own tenant, who can then sign in', async () => {
    const email = freshEmail('midwife');
    const res = await createUser({ email, password: TEST_PASSWORD, role: 'MIDWIFE', displayName: 'Mia Midwife' }, tenant.admin.token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.createUser).toMatchObject({ email, role: 'MIDWIFE', tenantId: tenant.id, displayName: 'Mia Midwife' });
    const signedIn = await login(email, TEST_PASSWORD);
    expect(signedIn.data!.login.user).toEqual({ id: res.data!.createUser.id, role: 'MIDWIFE', tenantId: tenant.id });
  });

  it('refuses createUser to a CARE_COORDINATOR with FORBIDDEN and creates nothing', async () => {
    const email = freshEmail('sneaky');
    const res = await createUser({ email, password: TEST_PASSWORD, role: 'ADMIN', displayName: 'Sneaky' }, coordinator.token);
    expect(res.data ?? null).toBeNull();
    expect(errorOf(res).code).toBe('FORBIDDEN');
    expect(errorOf(await login(email, TEST_PASSWORD)).code).toBe('UNAUTHENTICATED');
  });

  it('refuses createUser without a token with UNAUTHENTICATED', async () => {
    const res = await createUser({ email: freshEmail('anon'), password: TEST_PASSWORD, role: 'MIDWIFE', displayName: 'Anon' }, '');
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
  });

  it('answers a duplicate e-mail (in any letter case) with CONFLICT on input.email', async () => {
    const email = freshEmail('dup');
    await gqlOk(ts.url, CREATE_USER, { input: { email, password: TEST_PASSWORD, role: 'MIDWIFE', displayName: 'First' } }, tenant.admin.token);
    for (const again of [email, email.toUpperCase()]) {
      const res = await createUser({ email: again, password: TEST_PASSWORD, role: 'MIDWIFE', displayName: 'Second' }, tenant.admin.token);
      expect(res.data ?? null).toBeNull();
      expect(errorOf(res)).toEqual({ code: 'CONFLICT', field: 'input.email' });
    }
  });

  it("answers another tenant's ADMIN creating an address taken in this tenant as for a fresh address, not CONFLICT (no cross-tenant account oracle)", async () => {
    const otherTenant = await TestTenant.create(ts, 'Other Clinic');
    const taken = coordinator.email;
    const fresh = freshEmail('fresh');
    const forFresh = await createUser({ email: fresh, password: 'other clinic own passphrase', role: 'MIDWIFE', displayName: 'Fresh' }, otherTenant.admin.token);
    const forTaken = await createUser({ email: taken, password: 'other clinic own passphrase', role: 'MIDWIFE', displayName: 'Namesake' }, otherTenant.admin.token);
    expect(forTaken.errors).toBeUndefined();
    expect(forFresh.errors).toBeUndefined();
    expect(forTaken.data!.createUser).toMatchObject({ email: taken, tenantId: otherTenant.id, role: 'MIDWIFE' });
    const again = await createUser({ email: taken.toUpperCase(), password: 'other clinic own passphrase', role: 'MIDWIFE', displayName: 'Twice' }, otherTenant.admin.token);
    expect(errorOf(again)).toEqual({ code: 'CONFLICT', field: 'input.email' });
    expect((await login(taken, TEST_PASSWORD)).data!.login.user).toEqual({ id: coordinator.id, role: 'CARE_COORDINATOR', tenantId: tenant.id });
    expect((await login(taken, 'other clinic own passphrase')).data!.login.user).toEqual({ id: forTaken.data!.createUser.id, role: 'MIDWIFE', tenantId: otherTenant.id });
  });

  it('signs an address with the same password in two tenants in to neither (UNAUTHENTICATED), and each with its own password', async () => {
    const otherTenant = await TestTenant.create(ts, 'Third Clinic');
    const email = freshEmail('twice');
    await gqlOk(ts.url, CREATE_USER, { input: { email, password: 'shared between clinics', role: 'MIDWIFE', displayName: 'One' } }, tenant.admin.token);
    await gqlOk(ts.url, CREATE_USER, { input: { email, password: 'shared between clinics', role: 'MIDWIFE', displayName: 'Two' } }, otherTenant.admin.token);
    expect(errorOf(await login(email, 'shared between clinics')).code).toBe('UNAUTHENTICATED');
  });

  it('answers a password shorter than 12 characters with BAD_USER_INPUT on input.password', async () => {
    const email = freshEmail('short');
    const res = await createUser({ email, password: 'elevenchars', role: 'MIDWIFE', displayName: 'Short' }, tenant.admin.token);
    expect(res.data ?? null).toBeNull();
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.password' });
    expect(res.errors![0]!.message).not.toContain('elevenchars');
    expect(errorOf(await login(email, 'elevenchars')).code).toBe('UNAUTHENTICATED');
  });

  it('refuses common, patterned and self-derived passwords with BAD_USER_INPUT on input.password and a reason, creating nothing', async () => {
    const cases = [
      ['aaaaaaaaaaaa', 'PATTERN'],
      ['abcdefghijklmnop', 'PATTERN'],
      ['Password2026!', 'COMMON'],
      ['iloveyou12345', 'COMMON'],
      ['cradle-cradle-1', 'CONTEXT'],
      ['cradle-2026-x', 'CONTEXT'],
    ] as const;
    for (const [password, reason] of cases) {
      const email = freshEmail('weak');
      const res = await createUser({ email, password, role: 'MIDWIFE', displayName: 'Weak' }, tenant.admin.token);
      expect(res.data ?? null).toBeNull();
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.password', reason });
      expect(res.errors![0]!.message).not.toContain(password);
      expect(errorOf(await login(email, password)).code).toBe('UNAUTHENTICATED');
    }
  });

  it('accepts a long passphrase in another script, and signs in with it typed in another Unicode form (NFKC)', async () => {
    const email = freshEmail('unicode');
    const composed = 'caf\u00e9 des \u00e9toiles filantes';
    await gqlOk(ts.url, CREATE_USER, { input: { email, password: composed.normalize('NFD'), role: 'MIDWIFE', displayName: 'Unicode' } }, tenant.admin.token);
    expect(errorOf(await login(email, composed)).code).toBeUndefined();
    expect(errorOf(await login(email, composed.normalize('NFD'))).code).toBeUndefined();
  });

  it('signs in whatever the letter case and surrounding spaces of the e-mail address', async () => {
    const mixedCase = [...coordinator.email].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
    for (const email of [coordinator.email.toUpperCase(), `  ${mixedCase}  `]) {
      const res = await login(email, TEST_PASSWORD);
      expect(res.errors).toBeUndefined();
      expect(res.data!.login.user.id).toBe(coordinator.id);
    }
  });

  it('signs access tokens as HS256 JWTs whose header carries a kid', async () => {
    const { accessToken, user } = (await login(coordinator.email, TEST_PASSWORD)).data!.login;
    const header = jwtSegment(accessToken, 0);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(header['kid']).toEqual(expect.any(String));
    expect((header['kid'] as string).length).toBeGreaterThan(0);
    expect(jwtSegment(accessToken, 1)).toMatchObject({ sub: user.id, tid: tenant.id, role: 'CARE_COORDINATOR' });
  });
});
