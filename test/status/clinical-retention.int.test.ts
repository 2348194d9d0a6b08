import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { purgeExpiredClinicalRecords, RETENTION_PURGE_COMPONENT } from '../../src/status/clinical-retention.js';
import { auditRows } from '../audit/helpers.js';
import { TestTenant, type TestPatient } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { logFeeding, logMood } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('clinical retention: records past retention are purged, the audit never', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let lapsed: TestPatient;
  let active: TestPatient;
  let lapsedMood: string;
  let lapsedDeleted: string;
  let lapsedFeeding: string;
  let activeMood: string;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    lapsed = await tenant.patient(coordinator, { withLogin: true });
    active = await tenant.patient(coordinator, { withLogin: true });
    lapsedMood = (await logMood(ts.url, lapsed)).id;
    lapsedDeleted = (await logMood(ts.url, lapsed)).id;
    await gqlOk(ts.url, `mutation($id: ID!) { deleteStatusUpdate(id: $id, reason: DUPLICATE) { id } }`, { id: lapsedDeleted }, lapsed.user!.token);
    lapsedFeeding = (await logFeeding(ts.url, lapsed)).id;
    activeMood = (await logMood(ts.url, active)).id;
    // Her last entry was eleven years ago; the active mother's is today.
    await rawSql(ts, `update "status_update" set "recorded_at" = now() - interval '11 years' where "patient_id" = ?`, [lapsed.id]);
  });
  afterAll(async () => {
    await ts?.close();
  });

  const em = () => ts.server.database.orm.em.fork() as EntityManager;
  const remaining = async () => (await rawSql(ts, `select "id" from "status_update" where "tenant_id" = ?`, [tenant.id])).map((r) => String(r['id']));

  it('reports without purging on a dry run, then destroys only the lapsed adult records (soft-deleted ones too), auditing the purge first', async () => {
    const auditBefore = await auditRows(ts, tenant.id);
    expect(await purgeExpiredClinicalRecords(em(), ts.server.services.audit, { retentionYears: 12, now: Date.now(), dryRun: true })).toMatchObject({ patients: 0, purged: 0 });
    const dry = await purgeExpiredClinicalRecords(em(), ts.server.services.audit, { retentionYears: 10, now: Date.now(), dryRun: true });
    expect(dry).toMatchObject({ retentionYears: 10, patients: 1, purged: 2, dryRun: true });
    expect(await remaining()).toEqual(expect.arrayContaining([lapsedMood, lapsedDeleted, lapsedFeeding, activeMood]));
    expect(await auditRows(ts, tenant.id)).toHaveLength(auditBefore.length);

    const run = await purgeExpiredClinicalRecords(em(), ts.server.services.audit, { retentionYears: 10, now: Date.now() });
    expect(run).toMatchObject({ patients: 1, purged: 2, dryRun: false });
    const left = await remaining();
    expect(left).not.toContain(lapsedMood);
    expect(left).not.toContain(lapsedDeleted);
    expect(left).toEqual(expect.arrayContaining([lapsedFeeding, activeMood]));

    const after = await auditRows(ts, tenant.id);
    expect(after.slice(0, auditBefore.length)).toEqual(auditBefore);
    expect(after.slice(auditBefore.length)).toEqual([
      expect.objectContaining({
        actor_id: RETENTION_PURGE_COMPONENT, patient_id: lapsed.id, action: 'DELETE', purpose: 'OPERATIONS', fields: ['StatusUpdate'],
        details: expect.objectContaining({ reason: 'RETENTION_EXPIRED', records: 2, retentionYears: 10 }),
      }),
    ]);
    const verify = await gqlOk<{ verifyAuditChain: { valid: boolean } }>(ts.url, '{ verifyAuditChain { valid } }', {}, (await tenant.user('COMPLIANCE_OFFICER')).token);
    expect(verify.verifyAuditChain.valid).toBe(true);

    expect(await purgeExpiredClinicalRecords(em(), ts.server.services.audit, { retentionYears: 10, now: Date.now() })).toMatchObject({ patients: 0, purged: 0 });
  });

  it('refuses a configured retention under six years, naming the setting', () => {
    expect(() => loadConfig({ CRADLE_CLINICAL_RETENTION_YEARS: '3' })).toThrow(ConfigError);
    expect(() => loadConfig({ CRADLE_CLINICAL_RETENTION_YEARS: '3' })).toThrow(/CRADLE_CLINICAL_RETENTION_YEARS/);
    expect(loadConfig({}).clinicalRetentionYears).toBe(10);
  });
});
