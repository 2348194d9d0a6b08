import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/auth/totp.js';
import { CradleCloseCode } from '../../src/realtime/close-codes.js';
import { TEST_PASSWORD, TestTenant } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, quietPeriod, wsClient } from '../helpers/graphql-client.js';
import { PATIENT_UPDATES, subscribeLive } from '../helpers/live.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';

const LOGIN = `mutation($email: String!, $password: String!, $totp: String) { login(email: $email, password: $password, totp: $totp) { accessToken refreshToken } }`;
const DISABLE = `mutation($u: ID!, $d: Boolean!) { setUserDisabled(userId: $u, disabled: $d) { id disabled } }`;
const RESET = `mutation($u: ID!) { resetSecondFactor(userId: $u) }`;
const ME = `{ me { id disabled } }`;

/** Waits until `predicate` holds (for a socket close that happens after a mutation returns). */
async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await quietPeriod(20);
  }
}

describe('account administration: disabling accounts and resetting second factors', () => {
  let ts: TestServer;
  let clock: { now: number };
  let clinic: TestTenant;

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(Math.floor(Date.now() / 30_000) * 30_000 + 5_000));
    clinic = await TestTenant.create(ts);
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('ends a disabled account\'s sessions at once, live socket included, and refuses its logins until re-enabled', async () => {
    const midwife = await clinic.user('MIDWIFE');
    const coordinator = await clinic.user('CARE_COORDINATOR');
    await clinic.patient(coordinator, { team: [midwife] });
    const { refreshToken } = (await gqlOk<{ login: { refreshToken: string } }>(ts.url, LOGIN, { email: midwife.email, password: TEST_PASSWORD })).login;
    const closes: number[] = [];
    const client = wsClient(ts.wsUrl, midwife.token, (code) => closes.push(code));
    try {
      await subscribeLive(ts, client, PATIENT_UPDATES);
      const disabled = await gqlOk<{ setUserDisabled: { id: string; disabled: boolean } }>(ts.url, DISABLE, { u: midwife.id, d: true }, clinic.admin.token);
      expect(disabled.setUserDisabled).toEqual({ id: midwife.id, disabled: true });
      await until(() => closes.length > 0);
      expect(closes).toEqual([CradleCloseCode.Unauthorized]);
    } finally {
      await client.dispose();
    }
    expect(errorOf(await gql(ts.url, ME, {}, midwife.token)).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await gql(ts.url, `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`, { t: refreshToken })).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await gql(ts.url, LOGIN, { email: midwife.email, password: TEST_PASSWORD })).code).toBe('UNAUTHENTICATED');

    await gqlOk(ts.url, DISABLE, { u: midwife.id, d: false }, clinic.admin.token);
    const again = await gqlOk<{ login: { accessToken: string } }>(ts.url, LOGIN, { email: midwife.email, password: TEST_PASSWORD });
    expect((await gqlOk<{ me: { id: string; disabled: boolean } }>(ts.url, ME, {}, again.login.accessToken)).me).toEqual({ id: midwife.id, disabled: false });
  });

  it('resets a lost second factor: the authenticator and recovery codes are gone and the sessions end', async () => {
    const gp = await clinic.user('PRIMARY_CARE_PROVIDER');
    const begun = await gqlOk<{ beginTotpEnrolment: { secret: string } }>(ts.url, `mutation { beginTotpEnrolment { secret } }`, {}, gp.token);
    await gqlOk(ts.url, `mutation($c: String!) { confirmTotpEnrolment(code: $c) { recoveryCodes } }`, { c: totpCode(begun.beginTotpEnrolment.secret, clock.now) }, gp.token);
    expect(errorOf(await gql(ts.url, LOGIN, { email: gp.email, password: TEST_PASSWORD })).code).toBe('UNAUTHENTICATED');

    expect((await gqlOk<{ resetSecondFactor: boolean }>(ts.url, RESET, { u: gp.id }, clinic.admin.token)).resetSecondFactor).toBe(true);
    expect(await rawSql(ts, 'select 1 from totp_credential where user_id = ?', [gp.id])).toEqual([]);
    expect(await rawSql(ts, 'select 1 from totp_recovery_code where user_id = ?', [gp.id])).toEqual([]);
    expect(errorOf(await gql(ts.url, ME, {}, gp.token)).code).toBe('UNAUTHENTICATED');
    // The tenant does not require TOTP: she signs in with her password alone and may enrol again.
    await gqlOk(ts.url, LOGIN, { email: gp.email, password: TEST_PASSWORD });
    expect((await gqlOk<{ resetSecondFactor: boolean }>(ts.url, RESET, { u: gp.id }, clinic.admin.token)).resetSecondFactor).toBe(false);
  });

  it('audits both actions with the target and no PHI', async () => {
    const rows = await rawSql(ts, `select action, purpose, details from audit_event where tenant_id = ? and action in ('ACCOUNT_DISABLED', 'ACCOUNT_ENABLED', 'SECOND_FACTOR_RESET') order by seq`, [clinic.id]);
    expect(rows.map((r) => r['action'])).toEqual(['ACCOUNT_DISABLED', 'ACCOUNT_ENABLED', 'SECOND_FACTOR_RESET', 'SECOND_FACTOR_RESET']);
    expect(rows.every((r) => r['purpose'] === 'OPERATIONS')).toBe(true);
  });

  it('is for admins only, never crosses tenants, and an admin cannot disable itself', async () => {
    const coordinator = await clinic.user('CARE_COORDINATOR');
    const target = await clinic.user('MIDWIFE');
    expect(errorOf(await gql(ts.url, DISABLE, { u: target.id, d: true }, coordinator.token)).code).toBe('FORBIDDEN');
    expect(errorOf(await gql(ts.url, RESET, { u: target.id }, coordinator.token)).code).toBe('FORBIDDEN');
    const other = await TestTenant.create(ts, 'Other');
    expect(errorOf(await gql(ts.url, DISABLE, { u: target.id, d: true }, other.admin.token))).toEqual({ code: 'NOT_FOUND', field: 'userId' });
    expect(errorOf(await gql(ts.url, RESET, { u: target.id }, other.admin.token)).code).toBe('NOT_FOUND');
    expect(errorOf(await gql(ts.url, DISABLE, { u: clinic.admin.id, d: true }, clinic.admin.token))).toEqual({ code: 'BAD_USER_INPUT', field: 'userId' });
    await gqlOk(ts.url, ME, {}, target.token);
  });
});
