import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant } from '../helpers/builders.js';
import { wsClient } from '../helpers/graphql-client.js';
import { subscribeLive } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { ALERTS, alertingTeam, runDue, submitEpds, type AlertEventPayload } from './alerting-helpers.js';

/** Screenings in the busy tenant's backlog, each its own turn at a page size of one event. */
const BACKLOG = 120;

/** A tenant's alerting cursor and the last cursor of her stream. */
async function streamOf(ts: TestServer, tenantId: string): Promise<{ cursor: number; seq: number }> {
  const [row] = await rawSql(ts, 'select c.last_seq::int as cursor, t.event_seq::int as seq from alerting_cursor c join tenant t on t.id = c.tenant_id where t.id = ?', [tenantId]);
  return { cursor: row!['cursor'] as number, seq: row!['seq'] as number };
}

describe('evaluation shared fairly between tenants', () => {
  let ts: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    // Passes only when the test asks (runDue); a page of one event makes every event a turn.
    ts = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000', CRADLE_ALERTING_PAGE_EVENTS: '1' } });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it("raises a tenant's CRITICAL alert while another tenant's backlog is still being evaluated, then evaluates the whole backlog", async () => {
    const busy = await TestTenant.create(ts);
    const busyTeam = await alertingTeam(busy);
    const quiet = await TestTenant.create(ts);
    const quietTeam = await alertingTeam(quiet);
    const client = wsClient(ts.wsUrl, quietTeam.mentalHealth.token);
    clients.push(client);
    const specialist = await subscribeLive<AlertEventPayload>(ts, client, ALERTS);
    for (let i = 0; i < BACKLOG; i++) await submitEpds(ts, busyTeam.patient, 0);
    const selfHarm = await submitEpds(ts, quietTeam.patient, 3);

    const drained = runDue(ts);
    const [event] = await specialist.waitFor(1);
    const busyWhenPaged = await streamOf(ts, busy.id);
    expect(event!.alerts.alert).toMatchObject({ severity: 'CRITICAL', evidence: [{ id: selfHarm, kind: 'SCREENING' }] });
    // The quiet tenant waited for turns of the busy one, not for its backlog.
    expect(busyWhenPaged.cursor).toBeLessThan(busyWhenPaged.seq);

    // Positive control: the same run goes on to evaluate every event of the backlog, once.
    const pass = await drained;
    expect(pass.evaluated).toBe(BACKLOG + 1);
    const busyAfter = await streamOf(ts, busy.id);
    expect(busyAfter.cursor).toBe(busyAfter.seq);
    expect(await runDue(ts)).toEqual({ evaluated: 0, scheduled: 0, paged: 0 });
  }, 120_000);
});
