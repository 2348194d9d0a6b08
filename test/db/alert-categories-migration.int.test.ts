import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { logFeeding, logMood } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { createProtocol, runDue } from '../alerting/alerting-helpers.js';

const BEFORE = 'Migration20261204050000AuditRequestSeqIndex';

/**
 * The migration that gave alerts and tasks every category their rule reads fills existing rows
 * conservatively: a row from before it (one `category`, the triggering update's) gets that
 * category, those every version of its protocol reads, and those of its evidence.
 */
describe('migration 20261207010000 (alert categories)', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000' } });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('fills the categories of alerts and tasks raised before it from their protocol, their old category and their evidence', async () => {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const patient = await tenant.patient(coordinator, { withLogin: true });
    const protocolId = await createProtocol(ts, coordinator, {
      name: 'Mood over feeds',
      description: 'Migration probe',
      trigger: { kinds: ['FEEDING'] },
      condition: 'min("MOOD", "score", days(2)) <= 2.0',
      severity: 'WARNING',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['CARE_COORDINATOR'] },
        { type: 'CREATE_TASK', title: 'Call her', assignTo: 'CARE_COORDINATOR', dueInMinutes: 60 },
      ],
      escalation: { tiers: [{ targets: [{ role: 'CARE_COORDINATOR' }], ackTimeoutMinutes: 10 }], fallback: { targets: [{ role: 'CARE_COORDINATOR' }], ackTimeoutMinutes: 10 }, repeat: 0 },
      guideline: 'Local test rule',
    });
    await logMood(ts.url, patient, 1);
    await logFeeding(ts.url, patient);
    await runDue(ts);
    const vitals = await gqlOk<{ logVitals: { id: string } }>(ts.url, 'mutation($i: LogVitalsInput!) { logVitals(input: $i) { id } }', {
      i: { patientId: patient.id, systolic: 120, diastolic: 80 },
    }, patient.user!.token);
    const categoriesOf = async (table: string) => (await rawSql(ts, `select categories from ${table} where protocol_id = ?`, [protocolId])).map((r) => r['categories']);
    expect(await categoriesOf('alert')).toEqual([['FEEDING', 'MENTAL_HEALTH']]);

    const migrator = ts.server.database.orm.migrator;
    await migrator.down({ to: BEFORE });
    // As the rows were before: the category of the triggering update only, and evidence of another kind.
    await rawSql(ts, `update alert set category = 'FEEDING' where protocol_id = ?`, [protocolId]);
    await rawSql(ts, `update follow_up_task set category = 'FEEDING' where protocol_id = ?`, [protocolId]);
    const [alert] = await rawSql(ts, 'select id, tenant_id from alert where protocol_id = ?', [protocolId]);
    await rawSql(ts, 'insert into alert_evidence (tenant_id, alert_id, status_update_id, added_at) values (?, ?, ?, now())', [alert!['tenant_id'], alert!['id'], vitals.logVitals.id]);
    await migrator.up();

    expect(await categoriesOf('alert')).toEqual([['FEEDING', 'MATERNAL', 'MENTAL_HEALTH']]);
    expect(await categoriesOf('follow_up_task')).toEqual([['FEEDING', 'MATERNAL', 'MENTAL_HEALTH']]);
    expect(await rawSql(ts, `select count(*)::int as n from information_schema.columns where table_name in ('alert', 'follow_up_task') and column_name = 'category'`)).toEqual([{ n: 0 }]);
  });
});
