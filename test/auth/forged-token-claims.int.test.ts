import type { Client } from 'graphql-ws';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { auditRows } from '../audit/helpers.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, wsClient } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const PATIENTS = '{ patients(first: 50) { edges { node { id } } } }';
const AUDIT_TRAIL = 'query($p: ID!) { auditTrail(patientId: $p) { edges { cursor } } }';
const ME = '{ me { id role } }';

let ts: TestServer;
let tenant: TestTenant;
let coordinator: TestUser;
let mother: TestPatient;
let other: TestPatient;
let officer: TestUser;
const clients: Client[] = [];

/**
 * Re-signs a real access token with the server's configured key, changing only what `change`
 * names: the forgery of someone who has the token secret and a patient's session.
 */
async function resign(token: string, change: { role?: string; exp?: number }): Promise<string> {
  const config = loadConfig(ts.env);
  const claims = { ...decodeJwt(token), ...change };
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: config.tokenKeyId, typ: 'at+jwt' }).sign(new TextEncoder().encode(config.tokenSecret));
}

/** How a graphql-ws connection authenticated with `token` ends, or `open` when `me` runs over it. */
function socketOutcome(token: string): Promise<{ closed: { code: number; reason: string } } | { me: { id: string; role: string } }> {
  return new Promise((resolve) => {
    const client = wsClient(ts.wsUrl, token, (code, reason) => resolve({ closed: { code, reason } }));
    clients.push(client);
    client.subscribe<{ me: { id: string; role: string } }>(
      { query: ME },
      { next: (value) => value.data && resolve({ me: value.data.me }), error: () => undefined, complete: () => undefined },
    );
  });
}

beforeAll(async () => {
  ts = await startTestServer();
  tenant = await TestTenant.create(ts);
  coordinator = await tenant.user('CARE_COORDINATOR');
  officer = await tenant.user('COMPLIANCE_OFFICER');
  mother = await tenant.patient(coordinator, { withLogin: true });
  other = await tenant.patient(coordinator, { withLogin: true });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await ts?.close();
});

describe('access-token claims are never trusted over the session', () => {
  it('serves the genuine patient token as PATIENT (positive control), and the real ADMIN and COMPLIANCE_OFFICER their answers', async () => {
    expect((await gql(ts.url, ME, {}, mother.user!.token)).data).toEqual({ me: { id: mother.user!.id, role: 'PATIENT' } });
    const listed = await gql<{ patients: { edges: Array<{ node: { id: string } }> } }>(ts.url, PATIENTS, {}, tenant.admin.token);
    expect(listed.data!.patients.edges.map((e) => e.node.id)).toEqual(expect.arrayContaining([mother.id, other.id]));
    expect(errorOf(await gql(ts.url, AUDIT_TRAIL, { p: other.id }, officer.token)).code).toBeUndefined();
  });

  it('refuses a patient session re-signed with role ADMIN over HTTP with UNAUTHENTICATED: no patient list', async () => {
    const forged = await resign(mother.user!.token, { role: 'ADMIN' });
    const res = await gql(ts.url, PATIENTS, {}, forged);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
    expect(res.data?.['patients'] ?? null).toBeNull();
  });

  it("refuses a patient session re-signed with role COMPLIANCE_OFFICER over HTTP: no other patient's audit trail", async () => {
    const forged = await resign(mother.user!.token, { role: 'COMPLIANCE_OFFICER' });
    const res = await gql(ts.url, AUDIT_TRAIL, { p: other.id }, forged);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
    expect(res.data?.['auditTrail'] ?? null).toBeNull();
  });

  it('refuses the forged tokens over WebSocket with 4401 Unauthorized; the genuine token connects as PATIENT', async () => {
    expect(await socketOutcome(mother.user!.token)).toEqual({ me: { id: mother.user!.id, role: 'PATIENT' } });
    for (const role of ['ADMIN', 'COMPLIANCE_OFFICER']) {
      expect(await socketOutcome(await resign(mother.user!.token, { role }))).toEqual({ closed: { code: 4401, reason: 'Unauthorized' } });
    }
  });

  it('audits the forgeries as token anomalies under the real role, and never records the forged role', async () => {
    const rows = (await auditRows(ts, tenant.id)).filter((row) => row.actor_id === mother.user!.id);
    expect(rows.map((row) => row.actor_role)).not.toContain('ADMIN');
    expect(rows.map((row) => row.actor_role)).not.toContain('COMPLIANCE_OFFICER');
    const anomalies = rows.filter((row) => row.action === 'TOKEN_ANOMALY');
    expect(anomalies.length).toBeGreaterThanOrEqual(4);
    for (const row of anomalies) {
      expect(row).toMatchObject({ actor_role: 'PATIENT', outcome: 'DENIED', patient_id: null, details: { reason: 'ROLE_CLAIM_MISMATCH' } });
    }
  });

  it('refuses a genuine-role token whose exp lies beyond the configured lifetime, over HTTP and WebSocket', async () => {
    const { iat } = decodeJwt(mother.user!.token);
    const ttl = loadConfig(ts.env).accessTokenTtlSeconds;
    const within = await resign(mother.user!.token, { exp: iat! + ttl });
    expect((await gql(ts.url, ME, {}, within)).data).toEqual({ me: { id: mother.user!.id, role: 'PATIENT' } });
    const extended = await resign(mother.user!.token, { exp: iat! + ttl + 30 * 86_400 });
    expect(errorOf(await gql(ts.url, ME, {}, extended)).code).toBe('UNAUTHENTICATED');
    expect(await socketOutcome(extended)).toEqual({ closed: { code: 4401, reason: 'Unauthorized' } });
  });
});
