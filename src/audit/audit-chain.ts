import type { EntityManager } from '@mikro-orm/postgresql';
import { GENESIS_HASH, hashAuditRecord, type AuditRecord } from './audit-hash.js';

/** Rows read per query while walking a chain. */
const PAGE = 1000;

/** The result of checking a tenant's audit chain. */
export interface ChainVerification {
  readonly valid: boolean;
  /** The `seq` of the first broken link (an edited, missing, moved or cut-off record); null when valid. */
  readonly brokenAt: number | null;
  /** The last `seq` found in the table. */
  readonly lastSeq: number;
  /** Why it is broken, for operators (no record content). */
  readonly reason: string | null;
}

/** A chain head as recorded outside the database (a signed checkpoint), to detect a truncated tail. */
export interface ChainHeadProof {
  readonly seq: number;
  readonly hash: string;
}

interface StoredRow {
  tenant_id: string;
  seq: string;
  actor_type: 'USER' | 'SYSTEM';
  actor_id: string;
  actor_role: string | null;
  session_id: string | null;
  patient_id: string | null;
  action: string;
  fields: string[] | string;
  purpose: string | null;
  outcome: string;
  request_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown> | string;
  occurred_at_ms: string;
  prev_hash: string;
  hash: string;
}

const parsed = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

function recordOf(row: StoredRow): AuditRecord {
  return {
    tenantId: row.tenant_id,
    seq: String(row.seq),
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorRole: row.actor_role,
    sessionId: row.session_id,
    patientId: row.patient_id,
    action: row.action,
    fields: parsed<string[]>(row.fields),
    purpose: row.purpose,
    outcome: row.outcome,
    requestId: row.request_id,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    details: parsed<Record<string, unknown>>(row.details),
    occurredAtMs: String(row.occurred_at_ms),
    prevHash: row.prev_hash.trim(),
  };
}

const broken = (brokenAt: number, lastSeq: number, reason: string): ChainVerification => ({ valid: false, brokenAt, lastSeq, reason });

/**
 * Walks a tenant's audit chain in `seq` order and returns the first broken link: a record whose
 * hash does not match its content (edited, or moved to another `seq`), whose `prev_hash` is not its
 * predecessor's hash, or a missing `seq` (deleted). Then compares the end of the chain with the
 * chain-head row and, when given, the latest signed checkpoint, so a cut-off tail is found too.
 */
export async function verifyAuditChain(em: EntityManager, tenantId: string, checkpoint: ChainHeadProof | null = null): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checkpointHashSeen: string | null = null;
  for (;;) {
    const rows = await em.execute<StoredRow[]>(
      `select "tenant_id", "seq", "actor_type", "actor_id", "actor_role", "session_id", "patient_id", "action", to_json("fields") as "fields",
         "purpose", "outcome", "request_id", "client_ip", "user_agent", "details",
         ((extract(epoch from "occurred_at") * 1000)::bigint)::text as "occurred_at_ms", "prev_hash", "hash"
       from "audit_event" where "tenant_id" = ? and "seq" >= ? order by "seq" limit ${PAGE}`,
      [tenantId, String(expectedSeq)],
    );
    for (const row of rows) {
      const seq = Number(row.seq);
      const lastSeq = expectedSeq - 1;
      if (seq !== expectedSeq) return broken(expectedSeq, lastSeq, 'a record is missing');
      const record = recordOf(row);
      if (record.prevHash !== prevHash) return broken(seq, lastSeq, 'the link to the previous record does not match');
      const hash = hashAuditRecord(record);
      if (hash !== row.hash.trim()) return broken(seq, lastSeq, 'the record does not match its hash');
      if (checkpoint && seq === checkpoint.seq) checkpointHashSeen = hash;
      prevHash = hash;
      expectedSeq += 1;
    }
    if (rows.length < PAGE) break;
  }
  const lastSeq = expectedSeq - 1;
  const [head] = await em.execute<Array<{ seq: string; hash: string }>>(`select "seq", "hash" from "audit_chain_head" where "tenant_id" = ?`, [tenantId]);
  if (head && Number(head.seq) > lastSeq) return broken(lastSeq + 1, lastSeq, 'records after the last one are missing (chain head)');
  if (head && Number(head.seq) === lastSeq && head.hash.trim() !== prevHash) return broken(lastSeq, lastSeq, 'the chain head does not match the last record');
  if (checkpoint) {
    if (checkpoint.seq > lastSeq) return broken(lastSeq + 1, lastSeq, 'records after the last one are missing (signed checkpoint)');
    if (checkpoint.seq > 0 && checkpointHashSeen !== checkpoint.hash) return broken(checkpoint.seq, lastSeq, 'the record at the signed checkpoint does not match it');
  }
  return { valid: true, brokenAt: null, lastSeq, reason: null };
}
