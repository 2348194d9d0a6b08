import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoints, signCheckpoint } from '../../src/audit/audit-checkpoint.js';
import { runAuditCheckpoint, runAuditVerify } from '../../src/audit/audit-verify-command.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/orm.js';
import { TestTenant } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { formerlyDerivedCheckpointKey, recomputeChain } from './helpers.js';

const READ_PATIENT = `query($id: ID!) { patient(id: $id) { givenName } }`;

/** `cradle audit:verify` is `runAuditVerify` behind argument parsing and an exit code (src/cli.ts); this drives it in-process. */
describe('cradle audit:verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cradle-audit-cli-'));
  let ts: TestServer | null = null;
  afterAll(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports intact chains, then a cut-off tail (through the checkpoint), then an edited record at its exact link', async () => {
    ts = await startTestServer({ env: { CRADLE_IN_MEMORY_DB: 'false', CRADLE_DATA_DIR: dir, CRADLE_AUDIT_CHECKPOINT_FILE: join(dir, 'checkpoints.jsonl') } });
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const patient = await tenant.patient(coordinator);
    for (let i = 0; i < 3; i++) await gqlOk(ts.url, `query($id: ID!) { patient(id: $id) { givenName } }`, { id: patient.id }, coordinator.token);
    await ts.server.close(); // writes the last checkpoint
    const config = loadConfig(ts.env);

    const intact = await runAuditVerify([], config);
    expect(intact.valid).toBe(true);
    expect(intact.tenants).toEqual(expect.arrayContaining([expect.objectContaining({ tenantId: tenant.id, valid: true, brokenAt: null })]));
    const lastSeq = intact.tenants.find((t) => t.tenantId === tenant.id)!.lastSeq;
    expect(lastSeq).toBeGreaterThan(4);

    const tamper = async (sql: string) => {
      const db = await openDatabase(config.database);
      try {
        await db.orm.em.fork().execute(`begin; set local session_replication_role = replica; ${sql}; commit;`);
      } finally {
        await db.close();
      }
    };
    await tamper(`delete from "audit_event" where "tenant_id" = '${tenant.id}' and "seq" = ${lastSeq}; update "audit_chain_head" set "seq" = ${lastSeq - 1}, "hash" = (select "hash" from "audit_event" where "tenant_id" = '${tenant.id}' and "seq" = ${lastSeq - 1}) where "tenant_id" = '${tenant.id}'`);
    expect((await runAuditVerify(['--tenant', tenant.id], config)).tenants[0]).toMatchObject({ valid: false, brokenAt: lastSeq });

    await tamper(`update "audit_event" set "outcome" = case "outcome" when 'ALLOWED' then 'DENIED' else 'ALLOWED' end where "tenant_id" = '${tenant.id}' and "seq" = 2`);
    const report = await runAuditVerify(['--tenant', tenant.id], config);
    expect(report).toMatchObject({ valid: false, tenants: [{ tenantId: tenant.id, valid: false, brokenAt: 2 }] });

    await expect(runAuditVerify(['--tenant', 'not-a-tenant'], config)).rejects.toThrow(/--tenant/);
  }, 120_000);

  it('names the first record no off-host checkpoint vouches for after a rewrite, when the checkpoint file on the host was replaced with re-signed lines', async () => {
    const data = join(dir, 'rewrite');
    const onHost = join(data, 'checkpoints.jsonl');
    const offHost = join(dir, 'off-host.jsonl');
    ts = await startTestServer({
      env: {
        CRADLE_IN_MEMORY_DB: 'false',
        CRADLE_DATA_DIR: data,
        CRADLE_AUDIT_CHECKPOINT_FILE: onHost,
        CRADLE_AUDIT_CHECKPOINT_HOOK: `cat >> '${offHost}'`,
      },
    });
    const tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    const patient = await tenant.patient(coordinator);
    await gqlOk(ts.url, READ_PATIENT, { id: patient.id }, coordinator.token);
    expect(await ts.server.services.auditTrail.checkpoints!.checkpoint()).toBe(1);
    for (let i = 0; i < 3; i++) await gqlOk(ts.url, READ_PATIENT, { id: patient.id }, coordinator.token);
    await ts.server.close();
    const config = loadConfig(ts.env);
    const key = config.auditCheckpoint.key;

    expect(readFileSync(offHost, 'utf8')).toBe(readFileSync(onHost, 'utf8'));
    const shipped = (await readCheckpoints(offHost, key)).all.get(tenant.id)!.map((cp) => cp.seq);
    expect(shipped).toHaveLength(2);
    const [vouched, last] = shipped as [number, number];
    const exported = await runAuditCheckpoint(['--out', '-'], config);
    expect(exported.count).toBe(1);
    expect(JSON.parse(exported.text)).toMatchObject({ tenantId: tenant.id, seq: last });
    const exportedFile = join(dir, 'exported.jsonl');
    await runAuditCheckpoint(['--out', exportedFile], config);
    expect((await readCheckpoints(exportedFile, key)).latest.get(tenant.id)).toMatchObject({ seq: last });

    const edited = vouched + 2;
    const db = await openDatabase(config.database);
    let head: { seq: number; hash: string };
    try {
      await db.orm.em.fork().execute(`begin; set local session_replication_role = replica; update "audit_event" set "outcome" = case "outcome" when 'ALLOWED' then 'DENIED' else 'ALLOWED' end where "tenant_id" = '${tenant.id}' and "seq" = ${edited}; commit;`);
      head = await recomputeChain(db.orm.em.fork(), tenant.id, edited);
    } finally {
      await db.close();
    }
    const forgerKey = formerlyDerivedCheckpointKey(ts.env['CRADLE_TOKEN_SECRET']!);
    writeFileSync(onHost, `${signCheckpoint(forgerKey, { tenantId: tenant.id, seq: head.seq, hash: head.hash, at: new Date().toISOString() })}\n`);
    expect((await readCheckpoints(onHost, key)).badLines).toBe(1);

    const report = await runAuditVerify(['--tenant', tenant.id, '--checkpoint', offHost], config);
    expect(report).toEqual({
      valid: false,
      checkpointFile: offHost,
      tenants: [
        {
          tenantId: tenant.id,
          valid: false,
          brokenAt: vouched + 1,
          lastSeq: head.seq,
          reason: `a record from seq ${vouched + 1} to ${last} was changed and the hashes after it recomputed (the signed checkpoint at seq ${last} does not match, the one at seq ${vouched} does)`,
        },
      ],
    });
    await expect(runAuditVerify(['--checkpoint', ''], config)).rejects.toThrow(/--checkpoint/);
  }, 120_000);
});
