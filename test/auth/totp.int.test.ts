import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/auth/totp.js';
import { TEST_PASSWORD, TestTenant, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, type GqlResponse } from '../helpers/graphql-client.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';

const LOGIN = `mutation($email: String!, $password: String!, $totp: String) {
  login(email: $email, password: $password, totp: $totp) { accessToken user { id } }
}`;
const BEGIN = `mutation($token: String) { beginTotpEnrolment(enrolmentToken: $token) { secret otpauthUri } }`;
const CONFIRM = `mutation($code: String!, $token: String) { confirmTotpEnrolment(code: $code, enrolmentToken: $token) { recoveryCodes } }`;
const DISABLE = `mutation($code: String!) { disableTotp(code: $code) }`;
const SET_POLICY = `mutation($required: Boolean!) { setTenantSecurityPolicy(requireTotpForClinicians: $required) { requireTotpForClinicians } }`;
const POLICY = `query { tenantSecurityPolicy { requireTotpForClinicians } }`;
const ME = `query { me { id } }`;

const STEP_MS = 30_000;
const MINUTE = 60_000;

interface Clock {
  now: number;
}

/** A server whose clock only moves when a test moves it, started at the beginning of a TOTP step. */
/** A server whose clock starts 5 s into a TOTP step. */
function serverWithFakeClock(): Promise<{ ts: TestServer; clock: Clock }> {
  return startTestServerWithClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
}

type LoginResponse = GqlResponse<{ login: { accessToken: string; user: { id: string } } }>;

function login(ts: TestServer, email: string, totp?: string, password = TEST_PASSWORD): Promise<LoginResponse> {
  return gql(ts.url, LOGIN, { email, password, totp: totp ?? null });
}

/** The error's code and reason, or 'OK' with the signed-in user's id. */
function outcome(res: LoginResponse): { code?: string; reason?: unknown } | { ok: string } {
  if (res.data?.login) return { ok: res.data.login.user.id };
  return { code: errorOf(res).code, reason: res.errors?.[0]?.extensions?.['reason'] };
}

/** A six-digit code that is valid at none of the steps accepted around `now`. */
function wrongCode(secret: string, now: number): string {
  const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, now + d * STEP_MS)));
  for (let n = 0; ; n += 1) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

/** Enrols a signed-in user: begin, then confirm with the current code. */
async function enrol(ts: TestServer, clock: Clock, user: TestUser): Promise<{ secret: string; recoveryCodes: string[] }> {
  const begun = await gqlOk<{ beginTotpEnrolment: { secret: string } }>(ts.url, BEGIN, {}, user.token);
  const secret = begun.beginTotpEnrolment.secret;
  const confirmed = await gqlOk<{ confirmTotpEnrolment: { recoveryCodes: string[] } }>(ts.url, CONFIRM, { code: totpCode(secret, clock.now) }, user.token);
  return { secret, recoveryCodes: confirmed.confirmTotpEnrolment.recoveryCodes };
}

const sql = rawSql;

describe('TOTP second factor: enrolment, login, replay, recovery codes, disabling', () => {
  let ts: TestServer;
  let clock: Clock;
  let tenant: TestTenant;

  beforeAll(async () => {
    ({ ts, clock } = await serverWithFakeClock());
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('enrols with a secret and an otpauth URI, and returns 10 recovery codes stored only as hashes', async () => {
    const midwife = await tenant.user('MIDWIFE');
    const begun = await gqlOk<{ beginTotpEnrolment: { secret: string; otpauthUri: string } }>(ts.url, BEGIN, {}, midwife.token);
    expect(begun.beginTotpEnrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(begun.beginTotpEnrolment.otpauthUri);
    expect(uri.searchParams.get('secret')).toBe(begun.beginTotpEnrolment.secret);
    expect(decodeURIComponent(uri.pathname)).toContain(midwife.email);

    // Not enabled until confirmed: login still needs no code.
    expect(outcome(await login(ts, midwife.email))).toEqual({ ok: midwife.id });

    const wrong = await gql(ts.url, CONFIRM, { code: wrongCode(begun.beginTotpEnrolment.secret, clock.now) }, midwife.token);
    expect(errorOf(wrong)).toEqual({ code: 'BAD_USER_INPUT', field: 'code' });

    const confirmed = await gqlOk<{ confirmTotpEnrolment: { recoveryCodes: string[] } }>(
      ts.url, CONFIRM, { code: totpCode(begun.beginTotpEnrolment.secret, clock.now) }, midwife.token,
    );
    const codes = confirmed.confirmTotpEnrolment.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const stored = await sql(ts, `select "code_hash" from "totp_recovery_code" where "user_id" = ?`, [midwife.id]);
    expect(stored).toHaveLength(10);
    for (const row of stored) {
      expect(row['code_hash']).toMatch(/^[0-9a-f]{64}$/);
      expect(codes).not.toContain(row['code_hash']);
    }

    expect(errorOf(await gql(ts.url, BEGIN, {}, midwife.token)).code).toBe('CONFLICT');
  });

  it('requires a current code at login once enrolled, refuses a wrong one and a replayed one', async () => {
    const gp = await tenant.user('PRIMARY_CARE_PROVIDER');
    const { secret } = await enrol(ts, clock, gp);

    expect(outcome(await login(ts, gp.email))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_REQUIRED' });
    expect(outcome(await login(ts, gp.email, wrongCode(secret, clock.now)))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_INVALID' });
    // The code that confirmed enrolment counts as used.
    expect(outcome(await login(ts, gp.email, totpCode(secret, clock.now)))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_INVALID' });

    clock.now += STEP_MS;
    const code = totpCode(secret, clock.now);
    const signedIn = await login(ts, gp.email, code);
    expect(outcome(signedIn)).toEqual({ ok: gp.id });
    expect((await gqlOk<{ me: { id: string } }>(ts.url, ME, {}, signedIn.data!.login.accessToken)).me.id).toBe(gp.id);

    // The same code again, still inside its window, is a replay.
    expect(outcome(await login(ts, gp.email, code))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_INVALID' });
    // So is the previous step's code, though the ±1 step window would otherwise accept it.
    expect(outcome(await login(ts, gp.email, totpCode(secret, clock.now - STEP_MS)))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_INVALID' });
    // A code of the next step (a client clock slightly ahead) is accepted.
    expect(outcome(await login(ts, gp.email, totpCode(secret, clock.now + STEP_MS)))).toEqual({ ok: gp.id });
  });

  it('reveals nothing about the second factor until the password is right', async () => {
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const { secret } = await enrol(ts, clock, coordinator);
    const wrongPassword = outcome(await login(ts, coordinator.email, undefined, 'not the password at all'));
    const unknown = outcome(await login(ts, `nobody-${Date.now()}@totp.example`, totpCode(secret, clock.now)));
    expect(wrongPassword).toEqual({ code: 'UNAUTHENTICATED', reason: undefined });
    expect(unknown).toEqual(wrongPassword);
  });

  it('accepts each recovery code once, in any typing, in place of a TOTP code', async () => {
    const consultant = await tenant.user('LACTATION_CONSULTANT');
    const { recoveryCodes } = await enrol(ts, clock, consultant);
    const [first, second] = recoveryCodes as [string, string];

    expect(outcome(await login(ts, consultant.email, first))).toEqual({ ok: consultant.id });
    expect(outcome(await login(ts, consultant.email, first))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_INVALID' });
    expect(outcome(await login(ts, consultant.email, second.toLowerCase().replace(/-/g, ' ')))).toEqual({ ok: consultant.id });
    const unused = await sql(ts, `select count(*)::int as "n" from "totp_recovery_code" where "user_id" = ? and "used_at" is null`, [consultant.id]);
    expect(unused[0]!['n']).toBe(8);
  });

  it('disables the factor only with a valid code; afterwards login needs no code and the recovery codes are gone', async () => {
    const specialist = await tenant.user('MENTAL_HEALTH_SPECIALIST');
    const { secret, recoveryCodes } = await enrol(ts, clock, specialist);

    expect(errorOf(await gql(ts.url, DISABLE, { code: wrongCode(secret, clock.now) }, specialist.token))).toEqual({ code: 'BAD_USER_INPUT', field: 'code' });
    expect(errorOf(await gql(ts.url, DISABLE, { code: recoveryCodes[0] }))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await gqlOk<{ disableTotp: boolean }>(ts.url, DISABLE, { code: recoveryCodes[0] }, specialist.token)).disableTotp).toBe(true);

    expect(outcome(await login(ts, specialist.email))).toEqual({ ok: specialist.id });
    expect(outcome(await login(ts, specialist.email, recoveryCodes[1]))).toEqual({ ok: specialist.id });
    expect(await sql(ts, `select 1 from "totp_recovery_code" where "user_id" = ?`, [specialist.id])).toEqual([]);
    expect(errorOf(await gql(ts.url, DISABLE, { code: recoveryCodes[1] }, specialist.token)).code).toBe('CONFLICT');
  });
});

describe('TOTP failures and login lockout', () => {
  let ts: TestServer;
  let clock: Clock;
  let tenant: TestTenant;

  beforeAll(async () => {
    ({ ts, clock } = await serverWithFakeClock());
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('counts wrong TOTP codes at login towards the account lockout', async () => {
    const midwife = await tenant.user('MIDWIFE');
    const { secret } = await enrol(ts, clock, midwife);
    clock.now += STEP_MS;
    for (let i = 0; i < 5; i += 1) {
      expect(outcome(await login(ts, midwife.email, wrongCode(secret, clock.now)))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_INVALID' });
    }
    const locked = await login(ts, midwife.email, totpCode(secret, clock.now));
    expect(errorOf(locked).code).toBe('RATE_LIMITED');
    expect(locked.errors?.[0]?.extensions?.['retryAfterSeconds']).toBe(60);

    clock.now += MINUTE + STEP_MS;
    expect(outcome(await login(ts, midwife.email, totpCode(secret, clock.now)))).toEqual({ ok: midwife.id });
  });

  it('counts wrong codes given to disableTotp towards the same lockout', async () => {
    const gp = await tenant.user('PRIMARY_CARE_PROVIDER');
    const { secret } = await enrol(ts, clock, gp);
    clock.now += STEP_MS;
    for (let i = 0; i < 5; i += 1) {
      expect(errorOf(await gql(ts.url, DISABLE, { code: wrongCode(secret, clock.now) }, gp.token)).code).toBe('BAD_USER_INPUT');
    }
    expect(errorOf(await gql(ts.url, DISABLE, { code: totpCode(secret, clock.now) }, gp.token)).code).toBe('RATE_LIMITED');
    expect(errorOf(await login(ts, gp.email, totpCode(secret, clock.now))).code).toBe('RATE_LIMITED');
  });
});

describe('tenant policy: TOTP required for clinicians', () => {
  let ts: TestServer;
  let clock: Clock;
  let tenant: TestTenant;
  let midwife: TestUser;
  let consultant: TestUser;
  let patient: TestUser;

  beforeAll(async () => {
    ({ ts, clock } = await serverWithFakeClock());
    tenant = await TestTenant.create(ts);
    midwife = await tenant.user('MIDWIFE');
    consultant = await tenant.user('LACTATION_CONSULTANT');
    patient = await tenant.user('PATIENT');
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('is set by an ADMIN only', async () => {
    expect(errorOf(await gql(ts.url, SET_POLICY, { required: true }, midwife.token)).code).toBe('FORBIDDEN');
    expect((await gqlOk(ts.url, POLICY, {}, tenant.admin.token)).tenantSecurityPolicy).toEqual({ requireTotpForClinicians: false });
    expect((await gqlOk(ts.url, SET_POLICY, { required: true }, tenant.admin.token)).setTenantSecurityPolicy).toEqual({ requireTotpForClinicians: true });
    expect((await gqlOk(ts.url, POLICY, {}, tenant.admin.token)).tenantSecurityPolicy).toEqual({ requireTotpForClinicians: true });
  });

  it('sends a clinician without a factor to enrol with an enrolment token, and lets other roles in', async () => {
    const res = await login(ts, midwife.email);
    expect(res.data ?? null).toBeNull();
    const extensions = res.errors?.[0]?.extensions ?? {};
    expect(extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOTP_ENROLMENT_REQUIRED', enrolmentToken: expect.stringMatching(/^[\w-]{43}$/) });
    expect(new Date(String(extensions['enrolmentTokenExpiresAt'])).getTime()).toBe(clock.now + 10 * MINUTE);

    expect(outcome(await login(ts, patient.email))).toEqual({ ok: patient.id });
    expect(outcome(await login(ts, tenant.admin.email))).toEqual({ ok: tenant.admin.id });
  });

  it('lets the enrolment token enrol, and nothing else; after enrolling the clinician signs in with a code', async () => {
    const required = await login(ts, midwife.email);
    const enrolmentToken = String(required.errors?.[0]?.extensions?.['enrolmentToken']);

    expect(errorOf(await gql(ts.url, ME, {}, enrolmentToken)).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await gql(ts.url, BEGIN, {})).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await gql(ts.url, BEGIN, { token: 'not-a-token' })).code).toBe('UNAUTHENTICATED');

    const begun = await gqlOk<{ beginTotpEnrolment: { secret: string } }>(ts.url, BEGIN, { token: enrolmentToken });
    const secret = begun.beginTotpEnrolment.secret;
    const confirmed = await gqlOk<{ confirmTotpEnrolment: { recoveryCodes: string[] } }>(ts.url, CONFIRM, { code: totpCode(secret, clock.now), token: enrolmentToken });
    expect(confirmed.confirmTotpEnrolment.recoveryCodes).toHaveLength(10);

    // The token is spent by the confirmation.
    expect(errorOf(await gql(ts.url, BEGIN, { token: enrolmentToken })).code).toBe('UNAUTHENTICATED');

    expect(outcome(await login(ts, midwife.email))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOTP_REQUIRED' });
    clock.now += STEP_MS;
    expect(outcome(await login(ts, midwife.email, totpCode(secret, clock.now)))).toEqual({ ok: midwife.id });
  });

  it('refuses an enrolment token after 10 minutes', async () => {
    const required = await login(ts, consultant.email);
    const enrolmentToken = String(required.errors?.[0]?.extensions?.['enrolmentToken']);
    clock.now += 10 * MINUTE + 1_000;
    expect(errorOf(await gql(ts.url, BEGIN, { token: enrolmentToken })).code).toBe('UNAUTHENTICATED');
  });

  it('stops forcing enrolment once an ADMIN lifts the policy', async () => {
    const admin = (await login(ts, tenant.admin.email)).data!.login.accessToken;
    await gqlOk(ts.url, SET_POLICY, { required: false }, admin);
    expect(outcome(await login(ts, consultant.email))).toEqual({ ok: consultant.id });
  });
});
