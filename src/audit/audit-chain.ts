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

/** One stored audit row: what its hash covers, and the hash stored beside it. */
export interface StoredAuditRecord {
  readonly seq: number;
  readonly record: AuditRecord;
  readonly storedHash: string;
}

/** Reads up to `limit` of a tenant's audit rows from `fromSeq` on, in `seq` order, as the chain hashes them. */
export async function readAuditRecords(em: EntityManager, tenantId: string, fromSeq: number, limit = PAGE): Promise<StoredAuditRecord[]> {
  const rows = await em.execute<StoredRow[]>(
    `select "tenant_id", "seq", "actor_type", "actor_id", "actor_role", "session_id", "patient_id", "action", to_json("fields") as "fields",
       "purpose", "outcome", "request_id", "client_ip", "user_agent", "details",
       ((extract(epoch from "occurred_at") * 1000)::bigint)::text as "occurred_at_ms", "prev_hash", "hash"
     from "audit_event" where "tenant_id" = ? and "seq" >= ? order by "seq" limit ${Math.trunc(limit)}`,
    [tenantId, String(fromSeq)],
  );
  return rows.map((row) => ({ seq: Number(row.seq), record: recordOf(row), storedHash: row.hash.trim() }));
}

const broken = (brokenAt: number, lastSeq: number, reason: string): ChainVerification => ({ valid: false, brokenAt, lastSeq, reason });

/**
 * Compares the chain with signed checkpoints (any order). The first checkpoint, by `seq`, that the
 * chain does not match bounds a rewritten stretch: every record up to the last matching checkpoint
 * is vouched for, so the first record that may have been changed is the one after it.
 */
function compareWithCheckpoints(checkpoints: readonly ChainHeadProof[], hashAt: ReadonlyMap<number, string>, lastSeq: number): ChainVerification | null {
  let vouchedUpTo = 0;
  for (const cp of [...checkpoints].sort((a, b) => a.seq - b.seq)) {
    if (cp.seq <= 0) continue;
    if (cp.seq > lastSeq) return broken(lastSeq + 1, lastSeq, 'records after the last one are missing (signed checkpoint)');
    if (hashAt.get(cp.seq) !== cp.hash) {
      const from = vouchedUpTo + 1;
      const stretch = from === cp.seq ? `the record at seq ${cp.seq}` : `a record from seq ${from} to ${cp.seq}`;
      return broken(from, lastSeq, `${stretch} was changed and the hashes after it recomputed (the signed checkpoint at seq ${cp.seq} does not match${vouchedUpTo > 0 ? `, the one at seq ${vouchedUpTo} does` : ''})`);
    }
    vouchedUpTo = cp.seq;
  }
  return null;
}

/**
 * Walks a tenant's audit chain in `seq` order and returns the first broken link: a record whose
 * hash does not match its content (edited, or moved to another `seq`), a record changed with its
 * own hash recomputed (found by the next record's link, whose own hash still holds), a link to the
 * previous record that does not match, or a missing `seq` (deleted). Then compares the end of the
 * chain with the chain-head row and the signed checkpoints, so a cut-off tail, and a stretch
 * rewritten with every later hash recomputed, are found too (the latter bounded by the checkpoints).
 */
export async function verifyAuditChain(em: EntityManager, tenantId: string, checkpoints: readonly ChainHeadProof[] = []): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  const wanted = new Set(checkpoints.map((cp) => cp.seq));
  const hashAt = new Map<number, string>();
  for (;;) {
    const rows = await readAuditRecords(em, tenantId, expectedSeq);
    for (const { seq, record, storedHash } of rows) {
      const lastSeq = expectedSeq - 1;
      if (seq !== expectedSeq) return broken(expectedSeq, lastSeq, 'a record is missing');
      const hash = hashAuditRecord(record);
      if (record.prevHash !== prevHash) {
        if (hash === storedHash && seq > 1) return broken(seq - 1, lastSeq, 'the record was changed and its hash recomputed (the next record links to its original hash)');
        return broken(seq, lastSeq, 'the link to the previous record does not match');
      }
      if (hash !== storedHash) return broken(seq, lastSeq, 'the record does not match its hash');
      if (wanted.has(seq)) hashAt.set(seq, hash);
      prevHash = hash;
      expectedSeq += 1;
    }
    if (rows.length < PAGE) break;
  }
  const lastSeq = expectedSeq - 1;
  const [head] = await em.execute<Array<{ seq: string; hash: string }>>(`select "seq", "hash" from "audit_chain_head" where "tenant_id" = ?`, [tenantId]);
  if (head && Number(head.seq) > lastSeq) return broken(lastSeq + 1, lastSeq, 'records after the last one are missing (chain head)');
  if (head && Number(head.seq) === lastSeq && head.hash.trim() !== prevHash) return broken(lastSeq, lastSeq, 'the chain head does not match the last record');
  return compareWithCheckpoints(checkpoints, hashAt, lastSeq) ?? { valid: true, brokenAt: null, lastSeq, reason: null };
}
