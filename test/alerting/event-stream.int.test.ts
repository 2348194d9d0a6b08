import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { alertingTeam, createProtocol, runDue, screeningProtocolInput, submitEpds } from './alerting-helpers.js';

/** Status updates logged: more than one page of the worker's walk (100 events). */
const SCREENINGS = 106;

describe('evaluating a stream longer than a page', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000' } });
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('evaluates every update once, each with exactly the history before it, in one pass', async () => {
    const tenant = await TestTenant.create(ts);
    const team = await alertingTeam(tenant);
    const third = await createProtocol(ts, team.coordinator, screeningProtocolInput({ name: 'Third screening today', condition: 'count("SCREENING", days(1)) == 3' }));
    const late = await createProtocol(ts, team.coordinator, screeningProtocolInput({ name: 'Screening 105 today', condition: 'count("SCREENING", days(1)) == 105' }));
    const screenings: string[] = [];
    for (let i = 0; i < SCREENINGS; i++) {
      screenings.push(await submitEpds(ts, team.patient, 0));
      // Updates no protocol listens to, stepped over between the others.
      if (i % 10 === 0) {
        await gqlOk(ts.url, 'mutation($input: LogMoodInput!) { logMood(input: $input) { id } }', { input: { patientId: team.patient.id, score: 3 } }, team.patient.user!.token);
      }
    }

    const pass = await runDue(ts);
    expect(pass.evaluated).toBe(SCREENINGS);
    const evidenceOf = async (protocolId: string) => {
      const rows = await rawSql(ts, 'select e.status_update_id from alert_evidence e join alert a on a.id = e.alert_id where a.protocol_id = ?', [protocolId]);
      return rows.map((r) => r['status_update_id']);
    };
    const alertCount = (protocolId: string) => rawSql(ts, 'select count(*)::int as n from alert where protocol_id = ?', [protocolId]);
    expect(await alertCount(third)).toEqual([{ n: 1 }]);
    expect(await alertCount(late)).toEqual([{ n: 1 }]);
    expect(await evidenceOf(third)).toContain(screenings[2]);
    expect(await evidenceOf(third)).not.toContain(screenings[3]);
    expect(await evidenceOf(late)).toContain(screenings[104]);
    expect(await evidenceOf(late)).not.toContain(screenings[105]);
    const [stream] = await rawSql(ts, 'select c.last_seq::int as cursor, t.event_seq::int as seq from alerting_cursor c join tenant t on t.id = c.tenant_id where t.id = ?', [tenant.id]);
    expect(stream!['cursor']).toBe(stream!['seq']);
    expect(await runDue(ts)).toEqual({ evaluated: 0, scheduled: 0, paged: 0 });
  }, 120_000);
});
