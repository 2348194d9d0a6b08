import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile } from 'node:fs/promises';
import { readCheckpoints, signCheckpoint } from '../../src/audit/audit-checkpoint.js';
import { TestTenant, type TestUser } from '../helpers/builders.js';
import { gql, gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { formerlyDerivedCheckpointKey, recomputeChain, tamper, tempCheckpointFile } from './helpers.js';

const READ_PATIENT = `query($id: ID!) { patient(id: $id) { givenName familyName phone } }`;

describe('audit chain: append-only, tamper-evident, checkpointed', () => {
  let ts: TestServer;
  const checkpoints = tempCheckpointFile();

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_AUDIT_CHECKPOINT_FILE: checkpoints.file } });
  });
  afterAll(async () => {
    await ts?.close();
    checkpoints.remove();
  });

  /** A tenant whose chain holds `reads` patient reads (plus the set-up writes). */
  async function tenantWithReads(reads: number): Promise<{ tenant: TestTenant; coordinator: TestUser; patientId: string }> {
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const patient = await tenant.patient(coordinator);
    for (let i = 0; i < reads; i++) await gqlOk(ts.url, READ_PATIENT, { id: patient.id }, coordinator.token);
    return { tenant, coordinator, patientId: patient.id };
  }

  const verify = (tenantId: string) => ts.server.services.auditTrail.verify(ts.server.database.orm.em.fork(), tenantId);

  it('chains each tenant from seq 1 and verifies an untouched chain as valid', async () => {
    const { tenant } = await tenantWithReads(3);
    const rows = await rawSql(ts, `select "seq", "prev_hash", "hash" from "audit_event" where "tenant_id" = ? order by "seq"`, [tenant.id]);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.map((r) => Number(r['seq']))).toEqual(rows.map((_, i) => i + 1));
    expect(String(rows[0]!['prev_hash'])).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) expect(String(rows[i]!['prev_hash'])).toBe(String(rows[i - 1]!['hash']));
    expect(await verify(tenant.id)).toMatchObject({ valid: true, brokenAt: null, lastSeq: rows.length });
  });

  it('rejects UPDATE, DELETE and TRUNCATE of audit rows through the normal path', async () => {
    const { tenant } = await tenantWithReads(1);
    await expect(rawSql(ts, `update "audit_event" set "action" = 'NOTHING' where "tenant_id" = ?`, [tenant.id])).rejects.toThrow(/append-only/);
    await expect(rawSql(ts, `delete from "audit_event" where "tenant_id" = ?`, [tenant.id])).rejects.toThrow(/append-only/);
    await expect(rawSql(ts, `truncate "audit_event"`)).rejects.toThrow(/append-only/);
    expect(await verify(tenant.id)).toMatchObject({ valid: true });
  });

  it('finds an edited record at its exact seq', async () => {
    const { tenant } = await tenantWithReads(4);
    await tamper(ts, `update "audit_event" set "outcome" = 'DENIED' where "tenant_id" = '${tenant.id}' and "seq" = 3`);
    expect(await verify(tenant.id)).toMatchObject({ valid: false, brokenAt: 3 });
  });

  it('finds a record overwritten with a hash that is not its own at its exact seq', async () => {
    const { tenant } = await tenantWithReads(4);
    await tamper(ts, `update "audit_event" set "hash" = repeat('a', 64) where "tenant_id" = '${tenant.id}' and "seq" = 2`);
    expect(await verify(tenant.id)).toEqual({ valid: false, brokenAt: 2, lastSeq: 1, reason: 'the record does not match its hash' });
  });

  it('finds an edited record whose own hash was recomputed at its exact seq, through the next record that still links to the original', async () => {
    const { tenant } = await tenantWithReads(4);
    await tamper(ts, `update "audit_event" set "outcome" = 'DENIED' where "tenant_id" = '${tenant.id}' and "seq" = 2`);
    await recomputeChain(ts.server.database.orm.em.fork(), tenant.id, 2, true);
    expect(await verify(tenant.id)).toEqual({
      valid: false,
      brokenAt: 2,
      lastSeq: 2,
      reason: 'the record was changed and its hash recomputed (the next record links to its original hash)',
    });
  });

  it('finds a stretch rewritten with every later hash recomputed and a checkpoint re-signed with the formerly derived key, from the first record no valid checkpoint vouches for', async () => {
    const { tenant, coordinator, patientId } = await tenantWithReads(2);
    await ts.server.services.auditTrail.checkpoints!.checkpoint();
    for (let i = 0; i < 3; i++) await gqlOk(ts.url, READ_PATIENT, { id: patientId }, coordinator.token);
    await ts.server.services.auditTrail.checkpoints!.checkpoint();
    const key = ts.server.services.config.auditCheckpoint.key;
    const genuine = (await readCheckpoints(checkpoints.file, key)).all.get(tenant.id)!.map((cp) => cp.seq);
    expect(genuine).toHaveLength(2);
    const [vouched, last] = genuine as [number, number];
    expect(last - vouched).toBeGreaterThanOrEqual(3);
    const edited = vouched + 2;

    await tamper(ts, `update "audit_event" set "outcome" = case "outcome" when 'ALLOWED' then 'DENIED' else 'ALLOWED' end where "tenant_id" = '${tenant.id}' and "seq" = ${edited}`);
    const head = await recomputeChain(ts.server.database.orm.em.fork(), tenant.id, edited);
    const forgerKey = formerlyDerivedCheckpointKey(ts.env['CRADLE_TOKEN_SECRET']!);
    const forged = { tenantId: tenant.id, seq: head.seq, hash: head.hash, at: new Date().toISOString() };
    const before = await readCheckpoints(checkpoints.file, key);
    await appendFile(checkpoints.file, `${signCheckpoint(forgerKey, forged)}\n`);

    // Under the formerly derived key the forged line would have been the latest valid checkpoint.
    expect((await readCheckpoints(checkpoints.file, forgerKey)).latest.get(tenant.id)).toEqual(forged);
    const after = await readCheckpoints(checkpoints.file, key);
    expect(after.badLines).toBe(before.badLines + 1);
    expect(after.latest.get(tenant.id)!.seq).toBe(last);
    expect(await verify(tenant.id)).toEqual({
      valid: false,
      brokenAt: vouched + 1,
      lastSeq: head.seq,
      reason: `a record from seq ${vouched + 1} to ${last} was changed and the hashes after it recomputed (the signed checkpoint at seq ${last} does not match, the one at seq ${vouched} does)`,
    });
  });

  it('finds a deleted record at its seq', async () => {
    const { tenant } = await tenantWithReads(4);
    await tamper(ts, `delete from "audit_event" where "tenant_id" = '${tenant.id}' and "seq" = 4`);
    expect(await verify(tenant.id)).toMatchObject({ valid: false, brokenAt: 4 });
  });

  it('finds two records swapped (reordered) at the first of them', async () => {
    const { tenant } = await tenantWithReads(4);
    const t = `"tenant_id" = '${tenant.id}'`;
    await tamper(ts, `update "audit_event" set "seq" = 1000 where ${t} and "seq" = 3; update "audit_event" set "seq" = 3 where ${t} and "seq" = 4; update "audit_event" set "seq" = 4 where ${t} and "seq" = 1000`);
    expect(await verify(tenant.id)).toMatchObject({ valid: false, brokenAt: 3 });
  });

  it('detects a cut-off tail through the signed checkpoint, even with the chain head rewound', async () => {
    const { tenant } = await tenantWithReads(3);
    const [head] = await rawSql(ts, `select "seq", "hash" from "audit_chain_head" where "tenant_id" = ?`, [tenant.id]);
    const lastSeq = Number(head!['seq']);
    expect(await ts.server.services.auditTrail.checkpoints!.checkpoint()).toBeGreaterThanOrEqual(1);
    const { latest } = await readCheckpoints(checkpoints.file, ts.server.services.config.auditCheckpoint.key);
    expect(latest.get(tenant.id)).toMatchObject({ seq: lastSeq, hash: String(head!['hash']).trim() });

    const [previous] = await rawSql(ts, `select "hash" from "audit_event" where "tenant_id" = ? and "seq" = ?`, [tenant.id, lastSeq - 2]);
    await tamper(ts, `delete from "audit_event" where "tenant_id" = '${tenant.id}' and "seq" > ${lastSeq - 2}`);
    await rawSql(ts, `update "audit_chain_head" set "seq" = ?, "hash" = ? where "tenant_id" = ?`, [lastSeq - 2, String(previous!['hash']), tenant.id]);
    expect(await verify(tenant.id)).toMatchObject({ valid: false, brokenAt: lastSeq - 1 });
  });

  it('ignores a checkpoint line whose signature does not match', async () => {
    const { tenant } = await tenantWithReads(1);
    await appendFile(checkpoints.file, `${JSON.stringify({ tenantId: tenant.id, seq: 999, hash: 'f'.repeat(64), at: new Date().toISOString(), mac: '00'.repeat(32) })}\n`);
    const { latest, badLines } = await readCheckpoints(checkpoints.file, ts.server.services.config.auditCheckpoint.key);
    expect(badLines).toBeGreaterThanOrEqual(1);
    expect(latest.get(tenant.id)?.seq ?? 0).not.toBe(999);
    expect(await verify(tenant.id)).toMatchObject({ valid: true });
  });

  it('keeps concurrent requests of one tenant in one unbroken chain (group commit)', async () => {
    const { tenant, coordinator, patientId } = await tenantWithReads(0);
    const results = await Promise.all(Array.from({ length: 25 }, () => gql(ts.url, READ_PATIENT, { id: patientId }, coordinator.token)));
    expect(results.every((r) => !r.errors)).toBe(true);
    const reads = await rawSql(ts, `select count(*)::int as n from "audit_event" where "tenant_id" = ? and "patient_id" = ? and "action" = 'READ' and 'Patient.givenName' = any("fields")`, [tenant.id, patientId]);
    expect(Number(reads[0]!['n'])).toBe(25);
    expect(await verify(tenant.id)).toMatchObject({ valid: true });
    expect(ts.server.services.audit.stats.records).toBeGreaterThan(ts.server.services.audit.stats.batches);
  });

  it('keeps one unbroken chain when two instances append to the same tenant at once (row lock on the chain head)', async () => {
    const { tenant, coordinator, patientId } = await tenantWithReads(0);
    const second = await startTestServer({ shareWith: ts });
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => gql(i % 2 === 0 ? ts.url : second.url, READ_PATIENT, { id: patientId }, coordinator.token)),
      );
      expect(results.every((r) => !r.errors)).toBe(true);
      const reads = await rawSql(ts, `select count(*)::int as n from "audit_event" where "tenant_id" = ? and 'Patient.givenName' = any("fields")`, [tenant.id]);
      expect(Number(reads[0]!['n'])).toBe(20);
      expect(await verify(tenant.id)).toMatchObject({ valid: true });
    } finally {
      await second.close();
    }
  });
});
