import { createHash } from 'node:crypto';
import type { AuditEntryInput } from './audit-entry.js';

/** The `prev_hash` of a tenant's first audit record. */
export const GENESIS_HASH = '0'.repeat(64);

/** Marks the encoding, so a future change of the canonical form can be told apart. */
const ENCODING_VERSION = 'cradle-audit-v1';

/**
 * One audit record exactly as stored and hashed. `seq` and `occurredAtMs` are decimal strings (the
 * database returns bigints as strings), so a record read back hashes identically.
 */
export interface AuditRecord {
  readonly tenantId: string;
  readonly seq: string;
  readonly actorType: 'USER' | 'SYSTEM';
  readonly actorId: string;
  readonly actorRole: string | null;
  readonly sessionId: string | null;
  readonly patientId: string | null;
  readonly action: string;
  readonly fields: readonly string[];
  readonly purpose: string | null;
  readonly outcome: string;
  readonly requestId: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly occurredAtMs: string;
  readonly prevHash: string;
}

/** JSON with object keys sorted at every level: the same value always encodes to the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The SHA-256 (hex) of a record's canonical encoding: every column in a fixed order, the previous
 * record's hash included, so editing, deleting or reordering any record breaks every later link.
 */
export function hashAuditRecord(record: AuditRecord): string {
  const encoded = canonicalJson([
    ENCODING_VERSION,
    record.tenantId,
    record.seq,
    record.actorType,
    record.actorId,
    record.actorRole,
    record.sessionId,
    record.patientId,
    record.action,
    [...record.fields],
    record.purpose,
    record.outcome,
    record.requestId,
    record.clientIp,
    record.userAgent,
    record.details,
    record.occurredAtMs,
    record.prevHash,
  ]);
  return createHash('sha256').update(encoded, 'utf8').digest('hex');
}

/** Longest stored user agent (longer ones are cut; the column is bounded). */
const MAX_USER_AGENT = 500;

/** Builds the record for an entry at its place in the chain. */
export function toAuditRecord(entry: AuditEntryInput, seq: number, occurredAtMs: number, prevHash: string): AuditRecord {
  const actor = entry.actor;
  return {
    tenantId: entry.tenantId,
    seq: String(seq),
    actorType: actor.type,
    actorId: actor.type === 'USER' ? actor.userId : actor.component,
    actorRole: actor.type === 'USER' ? actor.role : null,
    sessionId: actor.type === 'USER' ? (actor.sessionId ?? null) : null,
    patientId: entry.patientId,
    action: entry.action,
    fields: [...entry.fields],
    purpose: entry.purpose,
    outcome: entry.outcome,
    requestId: entry.requestId,
    clientIp: entry.clientIp,
    userAgent: entry.userAgent === null ? null : entry.userAgent.slice(0, MAX_USER_AGENT),
    details: { ...entry.details },
    occurredAtMs: String(Math.trunc(occurredAtMs)),
    prevHash,
  };
}
