import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../src/db/entities/index.js';
import { DEMO_PASSWORD } from '../../src/db/seed-demo.js';
import { signIn } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('the synthetic demo tenant', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_DEMO_SEED: 'true' } });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('seeds one login per role (and a second midwife) that can sign in', async () => {
    const logins = ts.server.demoLogins!;
    expect(new Set(logins.map((l) => l.role))).toEqual(new Set(ROLES));
    expect(logins.filter((l) => l.role === 'MIDWIFE')).toHaveLength(2);
    for (const login of logins) {
      expect(login.password).toBe(DEMO_PASSWORD);
      expect(login.email).toMatch(/@demo\.cradle\.example$/);
    }
    const token = await signIn(ts.url, 'coordinator@demo.cradle.example', DEMO_PASSWORD);
    const me = await gqlOk<{ me: { role: string } }>(ts.url, '{ me { role } }', {}, token);
    expect(me.me.role).toBe('CARE_COORDINATOR');
  });

  it('gives twenty patients care teams and weeks of logs, scoped per clinician', async () => {
    const coordinator = await signIn(ts.url, 'coordinator@demo.cradle.example', DEMO_PASSWORD);
    const midwife = await signIn(ts.url, 'midwife@demo.cradle.example', DEMO_PASSWORD);
    const all = await gqlOk<{ patients: { edges: Array<{ node: { id: string; careTeam: unknown[] } }> } }>(
      ts.url, '{ patients(first: 100) { edges { node { id careTeam { role } } } } }', {}, coordinator,
    );
    expect(all.patients.edges).toHaveLength(20);
    expect(all.patients.edges.every((e) => e.node.careTeam.length === 5)).toBe(true);
    const mine = await gqlOk<{ patients: { edges: unknown[] } }>(ts.url, '{ patients(first: 100) { edges { cursor } } }', {}, midwife);
    expect(mine.patients.edges).toHaveLength(10);
    const firstId = all.patients.edges[0]!.node.id;
    const logs = await gqlOk<{ statusUpdates: { edges: Array<{ node: { kind: string } }> } }>(
      ts.url, 'query($p: ID!) { statusUpdates(patientId: $p, first: 100) { edges { node { kind } } } }', { p: firstId }, coordinator,
    );
    expect(logs.statusUpdates.edges.map((e) => e.node.kind)).toEqual(expect.arrayContaining(['MOOD', 'SLEEP', 'FEEDING']));
  });

  it('does not seed again on a database that already has a tenant', async () => {
    const second = await startTestServer({ shareWith: ts, env: { CRADLE_DEMO_SEED: 'true' } });
    expect(second.server.demoLogins).toBeNull();
    await second.close();
  });
});
