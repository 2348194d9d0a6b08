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
  if (!Array.isArray(value) && isEmptyObject(value)) return '{}';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function isEmptyObject(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/**
 * The SHA-256 (hex) of a record's canonical encoding: every column in a fixed order, the previous
 * record's hash included, so editing, deleting or reordering any record breaks every later link.
 */
export function hashAuditRecord(record: AuditRecord): string {
  return hashEncoded(encodeAuditRecord(record));
}

/** The SHA-256 (hex) of an encoding made by {@link encodeAuditRecord}. */
export function hashEncoded(encoded: string): string {
  return createHash('sha256').update(encoded, 'utf8').digest('hex');
}

/**
 * The text a record's hash covers: a JSON array of the encoding version and every column in a
 * fixed order (`canonicalJson` of that array, built directly: this runs once per record, and a
 * live event reaching a thousand subscribers is a thousand records).
 */
export function encodeAuditRecord(record: AuditRecord): string {
  return (
    `[${scalar(ENCODING_VERSION)},${scalar(record.tenantId)},${scalar(record.seq)},${scalar(record.actorType)},${scalar(record.actorId)},` +
    `${scalar(record.actorRole)},${scalar(record.sessionId)},${scalar(record.patientId)},${scalar(record.action)},` +
    `[${record.fields.map(scalar).join(',')}],${scalar(record.purpose)},${scalar(record.outcome)},${scalar(record.requestId)},` +
    `${scalar(record.clientIp)},${scalar(record.userAgent)},${canonicalJson(record.details)},${scalar(record.occurredAtMs)},${scalar(record.prevHash)}]`
  );
}

/** `canonicalJson` of a string or null (undefined encodes as null, as there). */
function scalar(value: string | null | undefined): string {
  return value === null || value === undefined ? 'null' : JSON.stringify(value);
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
