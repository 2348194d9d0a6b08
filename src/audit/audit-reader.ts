import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditOutcome, PurposeOfUse } from './audit-entry.js';
import { User, type Role } from '../db/entities/index.js';
import { ACCESS_ACTIONS } from './compliance/compliance-rules.js';

/** One audit record read back for display, with the actor's display name when the actor is a user. */
export interface AuditListing {
  readonly seq: number;
  readonly occurredAt: Date;
  readonly actorType: string;
  readonly actorId: string;
  readonly actorRole: Role | null;
  readonly actorDisplayName: string | null;
  readonly patientId: string | null;
  readonly action: string;
  readonly fields: string[];
  readonly purpose: PurposeOfUse | null;
  readonly outcome: AuditOutcome;
  readonly requestId: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  readonly details: Record<string, unknown>;
}

interface Row {
  seq: string;
  occurred_ms: string;
  actor_type: string;
  actor_id: string;
  actor_role: Role | null;
  patient_id: string | null;
  action: string;
  fields: string[] | string;
  purpose: PurposeOfUse | null;
  outcome: AuditOutcome;
  request_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown> | string;
}

/** Which records of a patient to list. */
export interface PatientTrailQuery {
  readonly tenantId: string;
  readonly patientId: string;
  /** Only accesses to her record (READ/CREATE/UPDATE/DELETE), leaving out this user's own (her accounting of disclosures). */
  readonly accessesExcludingUser?: string;
  /** Records before this seq (the page after a cursor). */
  readonly beforeSeq: number | null;
  readonly limit: number;
}

/** A patient's audit records, newest first. */
export async function patientTrail(em: EntityManager, query: PatientTrailQuery): Promise<AuditListing[]> {
  const params: unknown[] = [query.tenantId, query.patientId];
  let filter = '';
  if (query.accessesExcludingUser) {
    filter += ` and a."action" in (${ACCESS_ACTIONS.map((x) => `'${x}'`).join(', ')}) and a."actor_id" <> ?`;
    params.push(query.accessesExcludingUser);
  }
  if (query.beforeSeq !== null) {
    filter += ` and a."seq" < ?`;
    params.push(String(query.beforeSeq));
  }
  const rows = await em.execute<Row[]>(
    `select a."seq", ((extract(epoch from a."occurred_at") * 1000)::bigint)::text as "occurred_ms", a."actor_type", a."actor_id", a."actor_role",
       a."patient_id", a."action", to_json(a."fields") as "fields", a."purpose", a."outcome", a."request_id", a."client_ip",
       a."user_agent", a."details"
     from "audit_event" a
     where a."tenant_id" = ? and a."patient_id" = ?${filter} order by a."seq" desc limit ${query.limit}`,
    params,
  );
  const names = await displayNames(em, rows.filter((r) => r.actor_type === 'USER').map((r) => r.actor_id));
  return rows.map((r) => ({
    seq: Number(r.seq),
    occurredAt: new Date(Number(r.occurred_ms)),
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorRole: r.actor_role,
    actorDisplayName: names.get(r.actor_id) ?? null,
    patientId: r.patient_id,
    action: r.action,
    fields: typeof r.fields === 'string' ? (JSON.parse(r.fields) as string[]) : r.fields,
    purpose: r.purpose,
    outcome: r.outcome,
    requestId: r.request_id,
    clientIp: r.client_ip,
    userAgent: r.user_agent,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
  }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Display names of users, read through the ORM (which decrypts them). */
async function displayNames(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids.filter((id) => UUID.test(id)))];
  if (unique.length === 0) return new Map();
  const users = await em.find(User, { id: { $in: unique } }, { fields: ['id', 'displayName'] });
  return new Map(users.map((u) => [u.id, u.displayName]));
}
