import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
