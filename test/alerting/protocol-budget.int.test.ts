import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProtocolEngine } from '../../src/protocols/engine.js';
import { TestTenant } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { alertingTeam, alertsOf, createProtocol, runDue, screeningProtocolInput } from './alerting-helpers.js';

/** The 1,958-character condition of the security review (a 631-element list built by split, nesting 2). */
const SPLIT_ATTACK = (() => {
  const literal = JSON.stringify(','.repeat(630));
  return `${literal}.split(",").all(x, ${literal}.split(",").map(a, ${literal}.split(",")).size() > 0)`;
})();
const TOO_COSTLY = /^The expression is too costly: up to \d+ work units in the worst case, at most 25000 allowed\. \(line 1, column 1\)$/;
/** A condition near the work limit: about 28 × 28 iterations of a few additions each. */
const NEAR_LIMIT = `cel.bind(s, "${','.repeat(27)}".split(","), s.all(a, s.all(b, mood.score + 1 > 0 && mood.score + 2 > 0 && mood.score + 3 > 0)))`;

const CREATE = 'mutation($input: ProtocolInput!) { createProtocol(input: $input) { id } }';
const SIMULATE = `query($input: ProtocolInput!, $p: ID!, $days: Int) {
  simulateProtocol(input: $input, patientId: $p, backtestDays: $days) { outcome missingFacts backtest { evaluations } }
}`;
const LOG_MOOD = 'mutation($input: LogMoodInput!) { logMood(input: $input) { id } }';

const moodProtocol = (condition: string) => ({ ...screeningProtocolInput({ name: 'Mood watch', condition }), trigger: { kinds: ['MOOD'] } });

describe('protocol conditions cannot stall the server', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000' } });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('createProtocol refuses the split attack with BAD_USER_INPUT on input.condition naming the work limit, storing nothing', async () => {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    await gqlOk(ts.url, '{ protocols { id } }', {}, coordinator.token);
    const count = async () => (await rawSql(ts, 'select count(*)::int as n from protocol_version where tenant_id = ?', [tenant.id]))[0]!['n'];
    const before = await count();
    const res = await gql(ts.url, CREATE, { input: moodProtocol(SPLIT_ATTACK) }, coordinator.token);
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.condition' });
    expect(res.errors![0]!.message).toMatch(TOO_COSTLY);
    expect(await count()).toBe(before);
    await createProtocol(ts, coordinator, moodProtocol(NEAR_LIMIT));
    expect(await count()).toBe(Number(before) + 1);
  });

  it('simulateProtocol refuses the split attack before evaluating anything', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    const evaluate = vi.spyOn(ProtocolEngine.prototype, 'evaluate');
    const res = await gql(ts.url, SIMULATE, { input: moodProtocol(SPLIT_ATTACK), p: team.patient.id, days: 1 }, team.coordinator.token);
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.condition' });
    expect(res.errors![0]!.message).toMatch(TOO_COSTLY);
    expect(evaluate).not.toHaveBeenCalled();
  });

  it('keeps a logMood and raises an incomplete-data alert when a stored protocol (saved before the check) is over the limit', async () => {
    const tenant = await TestTenant.create(ts);
    const team = await alertingTeam(tenant);
    const protocolId = await createProtocol(ts, team.coordinator, moodProtocol('mood.score >= 1'));
    await rawSql(ts, `update protocol_version set definition = jsonb_set(definition, '{condition}', to_jsonb(?::text)) where protocol_id = ?`, [SPLIT_ATTACK, protocolId]);
    const logged = await gqlOk<{ logMood: { id: string } }>(ts.url, LOG_MOOD, { input: { patientId: team.patient.id, score: 3 } }, team.patient.user!.token);
    const evaluate = vi.spyOn(ProtocolEngine.prototype, 'evaluate');
    await runDue(ts);
    const results = evaluate.mock.results.map((r) => r.value as { budgetExceeded?: boolean; outcome: string });
    expect(results.filter((r) => r.budgetExceeded)).toEqual([expect.objectContaining({ outcome: 'INCOMPLETE', budgetExceeded: true })]);
    expect(await rawSql(ts, 'select id from status_update where id = ?', [logged.logMood.id])).toHaveLength(1);
    const alerts = await rawSql(ts, 'select protocol_id, incomplete_data, severity from alert where patient_id = ? and protocol_id = ?', [team.patient.id, protocolId]);
    expect(alerts).toEqual([{ protocol_id: protocolId, incomplete_data: true, severity: 'WARNING' }]);
    expect((await alertsOf(ts, team.patient.id)).length).toBeGreaterThanOrEqual(1);
  });

  it('answers /healthz while a back-test is running: the back-test goes on after the answer', async () => {
    const team = await alertingTeam(await TestTenant.create(ts));
    for (let i = 0; i < 40; i++) await gqlOk(ts.url, LOG_MOOD, { input: { patientId: team.patient.id, score: 1 + (i % 5) } }, team.patient.user!.token);
    await runDue(ts);
    const original = ProtocolEngine.prototype.evaluate;
    let backtestRunning!: () => void;
    const running = new Promise<void>((resolve) => (backtestRunning = resolve));
    const evaluate = vi.spyOn(ProtocolEngine.prototype, 'evaluate').mockImplementation(function (this: ProtocolEngine, ...args) {
      if (evaluate.mock.calls.length >= 3) backtestRunning();
      return original.apply(this, args);
    });
    const simulation = gqlOk<{ simulateProtocol: { backtest: { evaluations: number } } }>(
      ts.url, SIMULATE, { input: moodProtocol(NEAR_LIMIT), p: team.patient.id, days: 1 }, team.coordinator.token,
    );
    await running;
    const health = await fetch(`${ts.url.replace(/\/graphql$/, '')}/healthz`);
    const evaluationsWhenAnswered = evaluate.mock.calls.length;
    expect(health.status).toBe(200);
    const result = await simulation;
    expect(result.simulateProtocol.backtest.evaluations).toBe(40);
    expect(evaluate.mock.calls.length).toBe(41);
    expect(evaluationsWhenAnswered).toBeLessThan(41);
  });
});
