import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { readAuditRecords } from '../../src/audit/audit-chain.js';
import { GENESIS_HASH, hashAuditRecord } from '../../src/audit/audit-hash.js';
import { rawSql, type TestServer } from '../helpers/test-server.js';

/** A temporary checkpoint file for one test file, and its remover. */
export function tempCheckpointFile(): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cradle-audit-'));
  return { file: join(dir, 'audit-checkpoints.jsonl'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs a statement as a database superuser would, with the append-only triggers bypassed
 * (`session_replication_role = replica` for one transaction): the tampering the chain must expose.
 */
export async function tamper(ts: TestServer, statement: string): Promise<void> {
  await rawSql(ts, `begin; set local session_replication_role = replica; ${statement}; commit;`);
}

/**
 * The attack the chain's own hashes cannot expose: after a record at `fromSeq` was edited, recompute
 * its hash and (unless `onlyThatRecord`) every later record's link and hash and the chain-head row,
 * as a database superuser who knows the (public) hashing scheme would. Resolves with the new head.
 */
export async function recomputeChain(em: EntityManager, tenantId: string, fromSeq: number, onlyThatRecord = false): Promise<{ seq: number; hash: string }> {
  const [previous] = fromSeq > 1 ? await readAuditRecords(em, tenantId, fromSeq - 1, 1) : [];
  let prevHash = previous ? previous.storedHash : GENESIS_HASH;
  const rows = await readAuditRecords(em, tenantId, fromSeq, onlyThatRecord ? 1 : 1_000_000);
  const statements: string[] = [];
  for (const { seq, record } of rows) {
    const linked = onlyThatRecord ? record : { ...record, prevHash };
    const hash = hashAuditRecord(linked);
    statements.push(`update "audit_event" set "prev_hash" = '${linked.prevHash}', "hash" = '${hash}' where "tenant_id" = '${tenantId}' and "seq" = ${seq}`);
    prevHash = hash;
  }
  const last = rows.at(-1)!;
  if (!onlyThatRecord) statements.push(`update "audit_chain_head" set "hash" = '${prevHash}' where "tenant_id" = '${tenantId}' and "seq" = ${last.seq}`);
  await em.execute(`begin; set local session_replication_role = replica; ${statements.join('; ')}; commit;`);
  return { seq: last.seq, hash: prevHash };
}

/** The checkpoint key Cradle used to derive from the token secret when none was configured (the forger's key). */
export function formerlyDerivedCheckpointKey(tokenSecret: string): string {
  return createHmac('sha256', tokenSecret).update('cradle-audit-checkpoint').digest('hex');
}

/** One stored audit row, as the tests read it. */
export interface AuditRow {
  seq: string;
  actor_id: string;
  actor_role: string | null;
  patient_id: string | null;
  action: string;
  fields: string[];
  purpose: string | null;
  outcome: string;
  request_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

/** A tenant's audit rows, oldest first (optionally only one patient's). */
export async function auditRows(ts: TestServer, tenantId: string, patientId?: string): Promise<AuditRow[]> {
  const rows = await rawSql(
    ts,
    `select "seq", "actor_id", "actor_role", "patient_id", "action", to_json("fields") as "fields", "purpose", "outcome", "request_id",
       "client_ip", "user_agent", "details"
     from "audit_event" where "tenant_id" = ? ${patientId ? 'and "patient_id" = ?' : ''} order by "seq"`,
    patientId ? [tenantId, patientId] : [tenantId],
  );
  return rows.map((r) => ({
    ...(r as unknown as AuditRow),
    fields: typeof r['fields'] === 'string' ? JSON.parse(r['fields'] as string) : (r['fields'] as string[]),
    details: typeof r['details'] === 'string' ? JSON.parse(r['details'] as string) : (r['details'] as Record<string, unknown>),
  }));
}
