import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PROTOCOLS } from '../../src/protocols/built-in/index.js';
import { TestTenant } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  alertingTeam, alertsOf, builtInProtocolId, createProtocol, runDue, screeningProtocolInput, submitEpds,
} from './alerting-helpers.js';

const MINUTE = 60_000;
const UPDATE = `mutation($id: ID!, $input: UpdateProtocolInput!) {
  updateProtocol(id: $id, input: $input) { id activeVersion { number condition parameters } versions { number status } }
}`;
const ENABLE = `mutation($id: ID!, $on: Boolean!) { setProtocolEnabled(id: $id, enabled: $on) { id enabled } }`;
const ACTIVATE = `mutation($id: ID!, $v: Int!) { activateProtocolVersion(id: $id, version: $v) { activeVersion { number } versions { number status } } }`;
const CREATE = 'mutation($input: ProtocolInput!) { createProtocol(input: $input) { id } }';
const SIMULATE = `query($input: ProtocolInput!, $p: ID!, $days: Int) {
  simulateProtocol(input: $input, patientId: $p, backtestDays: $days) {
    outcome trace { expression value } actions severity evidenceIds updateId
    backtest { days evaluations alertsOpened matchesDeduplicated patientsAffected }
  }
}`;

/** Row counts of every table a protocol could write to, plus the tenant cursor. */
async function footprint(ts: TestServer, tenantId: string): Promise<Record<string, unknown>> {
  const tables = ['protocol', 'protocol_version', 'alert', 'alert_evidence', 'alert_history', 'escalation_job', 'follow_up_task', 'safety_message', 'outbox_event', 'status_update', 'protocol_schedule'];
  const counts: Record<string, unknown> = {};
  for (const table of tables) counts[table] = (await rawSql(ts, `select count(*)::int as n from ${table} where tenant_id = ?`, [tenantId]))[0]!['n'];
  counts['event_seq'] = (await rawSql(ts, 'select event_seq::int as n from tenant where id = ?', [tenantId]))[0]!['n'];
  return counts;
}

describe('care protocols: library, versions, dry runs, bad input', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000' } });
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('installs the whole built-in library once for a tenant created directly in the database', async () => {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const read = () => gqlOk<{ protocols: Array<{ builtInKey: string | null; builtIn: boolean; enabled: boolean; activeVersion: { number: number; status: string } }> }>(
      ts.url, '{ protocols { builtInKey builtIn enabled activeVersion { number status } } }', {}, coordinator.token,
    );
    const first = await read();
    await read();
    await runDue(ts);
    expect(first.protocols.map((p) => p.builtInKey).sort()).toEqual(BUILT_IN_PROTOCOLS.map((b) => b.key).sort());
    expect(first.protocols.every((p) => p.builtIn && p.enabled && p.activeVersion.number === 1 && p.activeVersion.status === 'ACTIVE')).toBe(true);
    const stored = await rawSql(ts, 'select count(*)::int as n from protocol where tenant_id = ?', [tenant.id]);
    expect(stored).toEqual([{ n: BUILT_IN_PROTOCOLS.length }]);
    // Admins may read protocols; patients and other roles may not configure them.
    const admin = await gql(ts.url, '{ protocols { id } }', {}, tenant.admin.token);
    expect(admin.errors).toBeUndefined();
    const midwife = await tenant.user('MIDWIFE');
    const refused = await gql(ts.url, CREATE, { input: screeningProtocolInput() }, midwife.token);
    expect(errorOf(refused).code).toBe('FORBIDDEN');
  });

  it('refuses to disable a built-in protocol', async () => {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const id = await builtInProtocolId(ts, coordinator, 'epds-self-harm');
    const res = await gql(ts.url, ENABLE, { id, on: false }, coordinator.token);
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field: 'enabled' });
    expect(res.errors![0]!.message).toMatch(/cannot be disabled/);
    expect(await rawSql(ts, 'select enabled from protocol where id = ?', [id])).toEqual([{ enabled: true }]);
  });

  it('refuses to loosen a built-in protocol and keeps a tightening as a new version', async () => {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const id = await builtInProtocolId(ts, coordinator, 'epds-probable-depression');
    const loosen = await gql(ts.url, UPDATE, { id, input: { parameters: [{ name: 'threshold', value: 15 }], changeNote: 'fewer alerts' } }, coordinator.token);
    expect(errorOf(loosen).code).toBe('BAD_USER_INPUT');
    expect(errorOf(loosen).field).toMatch(/^input\.parameters/);
    const rewrite = await gql(ts.url, UPDATE, { id, input: { condition: 'screening.total >= 20', changeNote: 'x' } }, coordinator.token);
    expect(errorOf(rewrite)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.condition' });
    const lower = await gql(ts.url, UPDATE, { id, input: { severity: 'INFO', changeNote: 'x' } }, coordinator.token);
    expect(errorOf(lower)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.severity' });
    expect(await rawSql(ts, 'select count(*)::int as n from protocol_version where protocol_id = ?', [id])).toEqual([{ n: 1 }]);

    const tightened = await gqlOk<{ updateProtocol: { activeVersion: { number: number; condition: string; parameters: Record<string, number> }; versions: Array<{ number: number; status: string }> } }>(
      ts.url, UPDATE, { id, input: { parameters: [{ name: 'threshold', value: 11 }], changeNote: 'Levis 2020: >= 11 best combined' } }, coordinator.token,
    );
    expect(tightened.updateProtocol.activeVersion).toEqual({ number: 2, condition: 'screening.total >= 11', parameters: { threshold: 11 } });
    expect(tightened.updateProtocol.versions).toEqual([{ number: 2, status: 'ACTIVE' }, { number: 1, status: 'RETIRED' }]);
  });

  it('keeps on each alert the version that raised it, and rolls back by reactivating an older version', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    const id = await createProtocol(ts, team.coordinator, screeningProtocolInput({ name: 'Any EPDS', condition: 'screening.instrument == "EPDS"' }));
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const query = `query($id: ID!) { alert(id: $id) { protocolVersion protocol { id name } status } }`;
    const [opened] = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === id);
    const v2 = await gqlOk<{ updateProtocol: { versions: Array<{ number: number; status: string }> } }>(ts.url, UPDATE, {
      id, input: { name: 'Any EPDS (stricter)', condition: 'screening.total > 29', changeNote: 'Only the top score' },
    }, team.coordinator.token);
    expect(v2.updateProtocol.versions).toEqual([{ number: 2, status: 'ACTIVE' }, { number: 1, status: 'RETIRED' }]);
    const kept = await gqlOk<{ alert: { protocolVersion: number; protocol: { name: string } } }>(ts.url, query, { id: opened!['id'] }, team.mentalHealth.token);
    expect(kept.alert).toMatchObject({ protocolVersion: 1, protocol: { name: 'Any EPDS (stricter)' } });
    await gqlOk(ts.url, 'mutation($id: ID!) { resolveAlert(id: $id, note: "reviewed") { id } }', { id: opened!['id'] }, team.mentalHealth.token);

    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    expect((await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === id)).toHaveLength(1);

    const draft = await gqlOk<{ updateProtocol: { activeVersion: { number: number }; versions: Array<{ number: number; status: string }> } }>(ts.url, UPDATE, {
      id, input: { condition: 'screening.total > 28', changeNote: 'Draft', activate: false },
    }, team.coordinator.token);
    expect(draft.updateProtocol.activeVersion.number).toBe(2);
    expect(draft.updateProtocol.versions[0]).toEqual({ number: 3, status: 'DRAFT' });

    const rolledBack = await gqlOk<{ activateProtocolVersion: { activeVersion: { number: number }; versions: Array<{ number: number; status: string }> } }>(
      ts.url, ACTIVATE, { id, v: 1 }, team.coordinator.token,
    );
    expect(rolledBack.activateProtocolVersion.activeVersion.number).toBe(1);
    expect(rolledBack.activateProtocolVersion.versions.map((v) => v.status)).toEqual(['DRAFT', 'RETIRED', 'ACTIVE']);
    await submitEpds(ts, team.patient, 0);
    await runDue(ts);
    const again = (await alertsOf(ts, team.patient.id)).filter((a) => a['protocol_id'] === id);
    expect(again.map((a) => a['status'])).toEqual(['RESOLVED', 'OPEN']);
    const version1 = await rawSql(ts, 'select id from protocol_version where protocol_id = ? and number = 1', [id]);
    expect(again[1]!['protocol_version_id']).toBe(version1[0]!['id']);
    const missing = await gql(ts.url, ACTIVATE, { id, v: 9 }, team.coordinator.token);
    expect(errorOf(missing)).toEqual({ code: 'NOT_FOUND', field: 'version' });
  });

  it('opens only the severe alert for a severe reading, and the hypertension alert for a raised one', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    const severeId = await builtInProtocolId(ts, team.coordinator, 'severe-blood-pressure');
    const raisedId = await builtInProtocolId(ts, team.coordinator, 'postpartum-hypertension');
    const logVitals = (systolic: number, diastolic: number) =>
      gqlOk(ts.url, 'mutation($input: LogVitalsInput!) { logVitals(input: $input) { id } }', { input: { patientId: team.patient.id, systolic, diastolic } }, team.patient.user!.token);
    const openBy = async () => (await alertsOf(ts, team.patient.id)).map((a) => [a['protocol_id'], a['severity']]);

    await logVitals(172, 100);
    await runDue(ts);
    expect(await openBy()).toEqual([[severeId, 'CRITICAL']]);

    const other = await alertingTeam(await TestTenant.create(ts));
    await gqlOk(ts.url, 'mutation($input: LogVitalsInput!) { logVitals(input: $input) { id } }', { input: { patientId: other.patient.id, systolic: 150, diastolic: 95 } }, other.patient.user!.token);
    await runDue(ts);
    const otherRaisedId = await builtInProtocolId(ts, other.coordinator, 'postpartum-hypertension');
    expect((await alertsOf(ts, other.patient.id)).map((a) => [a['protocol_id'], a['severity']])).toEqual([[otherRaisedId, 'WARNING']]);
    expect(raisedId).not.toBe(otherRaisedId);
  });

  it('simulates a draft against a patient with a trace and a back-test, changing nothing', async () => {
    const tenant = await TestTenant.create(ts);
    const team = await alertingTeam(tenant);
    const screeningId = await submitEpds(ts, team.patient, 2);
    await runDue(ts);
    const before = await footprint(ts, tenant.id);
    const input = screeningProtocolInput({ name: 'Draft', condition: 'screening.items[9] > 0 && screening.total >= 1', severity: 'CRITICAL' });
    const res = await gqlOk<{ simulateProtocol: Record<string, any> }>(ts.url, SIMULATE, { input, p: team.patient.id, days: 30 }, team.coordinator.token);
    const simulation = res.simulateProtocol;
    expect(simulation['outcome']).toBe('MATCHED');
    expect(simulation['updateId']).toBe(screeningId);
    expect(simulation['severity']).toBe('CRITICAL');
    expect(simulation['actions']).toEqual([{ type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST'] }]);
    expect(simulation['trace'].length).toBeGreaterThan(0);
    expect(simulation['trace'].map((t: { value: string }) => t.value)).toContain('true');
    expect(simulation['backtest']).toMatchObject({ days: 30, alertsOpened: 1, patientsAffected: 1 });
    expect(await footprint(ts, tenant.id)).toEqual(before);
  });

  it.each([
    ['a malformed condition', { condition: 'screening.total >= ' }, 'input.condition', /line 1, column/],
    ['an unknown fact', { condition: 'screening.nope > 1' }, 'input.condition', /line 1, column/],
    ['a condition of the wrong type', { condition: 'screening.total + 1' }, 'input.condition', /bool/i],
    ['a too costly condition', { condition: Array.from({ length: 80 }, (_, i) => `screening.total > ${i}`).join(' && ') }, 'input.condition',
      /^The expression is too costly: 399 nodes, at most 200 allowed\. \(line 1, column 1\)$/],
    ['a condition over the work limit', { condition: `cel.bind(s, "${','.repeat(300)}".split(","), s.all(a, s.all(b, a == b)))` }, 'input.condition',
      /^The expression is too costly: up to \d+ work units in the worst case, at most 25000 allowed\. \(line 1, column 1\)$/],
    ['a chain without a fallback', { escalation: { tiers: [{ targets: [{ role: 'MIDWIFE' }], ackTimeoutMinutes: 5 }], repeat: 0 } }, 'input.escalation.fallback', /fallback/],
    ['a critical protocol without escalation', { severity: 'CRITICAL', escalation: null }, 'input.escalation', /escalation/],
    ['a zero timeout', {
      escalation: { tiers: [{ targets: [{ role: 'MIDWIFE' }], ackTimeoutMinutes: 0 }], fallback: { targets: [{ role: 'CARE_COORDINATOR' }], ackTimeoutMinutes: 5 }, repeat: 0 },
    }, 'input.escalation.tiers[0].ackTimeoutMinutes', /minutes/],
  ])('refuses %s with BAD_USER_INPUT naming the field, storing nothing', async (_name, change, field, message) => {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    await gqlOk(ts.url, '{ protocols { id } }', {}, coordinator.token);
    const before = await footprint(ts, tenant.id);
    const res = await gql(ts.url, CREATE, { input: { ...screeningProtocolInput(), ...change } }, coordinator.token);
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(res.errors![0]!.message).toMatch(message);
    expect(await footprint(ts, tenant.id)).toEqual(before);
  });
});

describe('scheduled protocols (missed check-in)', () => {
  const clock = { now: Date.now() };
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({
      now: () => clock.now,
      env: { CRADLE_ALERTING_POLL_MS: '60000', CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3600', CRADLE_SESSION_IDLE_MINUTES: '1440', CRADLE_SESSION_MAX_HOURS: '720' },
    });
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('creates one outreach task for a patient who logged nothing, on the durable schedule', async () => {
    const tenant = await TestTenant.create(ts);
    const team = await alertingTeam(tenant);
    const active = await tenant.patient(team.coordinator, { withLogin: true });
    await gqlOk(ts.url, '{ protocols { id } }', {}, team.coordinator.token);
    await gqlOk(ts.url, 'mutation($input: LogMoodInput!) { logMood(input: $input) { id } }', { input: { patientId: active.id, score: 4 } }, active.user!.token);
    await runDue(ts);
    const outreach = () => rawSql(ts, `select patient_id, assigned_role from follow_up_task where tenant_id = ? and title like 'Outreach%'`, [tenant.id]);
    expect(await outreach()).toEqual([]);
    clock.now += 61 * MINUTE;
    await runDue(ts);
    expect(await outreach()).toEqual([{ patient_id: team.patient.id, assigned_role: 'CARE_COORDINATOR' }]);
    clock.now += 61 * MINUTE;
    await runDue(ts);
    expect(await outreach()).toHaveLength(1);
  });
});

describe('protocol changes across instances', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    a = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000' } });
    b = await startTestServer({ shareWith: a, env: { CRADLE_ALERTING_POLL_MS: '60000' } });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('evaluates with the protocol as changed through another instance, or in the database, once the change has returned', async () => {
    const tenant = await TestTenant.create(a);
    const team = await alertingTeam(tenant);
    const id = await createProtocol(a, team.coordinator, screeningProtocolInput({ name: 'Any EPDS', condition: 'screening.instrument == "EPDS"' }));
    const alerts = async () => (await alertsOf(a, team.patient.id)).filter((row) => row['protocol_id'] === id);
    const resolveAll = async () => {
      for (const row of await alerts()) {
        if (row['status'] !== 'RESOLVED') await gqlOk(a.url, 'mutation($id: ID!) { resolveAlert(id: $id, note: "reviewed") { id } }', { id: row['id'] }, team.mentalHealth.token);
      }
    };
    // B evaluates (and keeps) version 1.
    await submitEpds(a, team.patient, 0);
    await runDue(b);
    const [version1] = await rawSql(a, 'select id from protocol_version where protocol_id = ? and number = 1', [id]);
    expect((await alerts()).map((row) => row['protocol_version_id'])).toEqual([version1!['id']]);
    await resolveAll();

    // Version 2 (never matches) through A: B's next evaluation uses it.
    await gqlOk(a.url, UPDATE, { id, input: { condition: 'screening.total > 29', changeNote: 'Only the top score' } }, team.coordinator.token);
    await submitEpds(b, team.patient, 0);
    await runDue(b);
    expect(await alerts()).toHaveLength(1);

    // Rolled back to version 1 through A: B raises again.
    await gqlOk(a.url, ACTIVATE, { id, v: 1 }, team.coordinator.token);
    await submitEpds(b, team.patient, 0);
    await runDue(b);
    expect((await alerts()).map((row) => [row['protocol_version_id'], row['status']])).toEqual([[version1!['id'], 'RESOLVED'], [version1!['id'], 'OPEN']]);
    await resolveAll();

    // Disabled through A: B stops evaluating it.
    await gqlOk(a.url, ENABLE, { id, on: false }, team.coordinator.token);
    await submitEpds(a, team.patient, 0);
    await runDue(b);
    expect(await alerts()).toHaveLength(2);

    // Enabled by another writer straight in the database: B picks that up too.
    await rawSql(a, 'update protocol set enabled = true where id = ?', [id]);
    await submitEpds(a, team.patient, 0);
    await runDue(b);
    expect((await alerts()).map((row) => row['status'])).toEqual(['RESOLVED', 'RESOLVED', 'OPEN']);
    // The pass evaluated the whole stream, the alert events it wrote included.
    const [stream] = await rawSql(a, 'select c.last_seq::int as cursor, t.event_seq::int as seq from alerting_cursor c join tenant t on t.id = c.tenant_id where t.id = ?', [tenant.id]);
    expect(stream!['cursor']).toBe(stream!['seq']);
  });
});
