import type { Actor } from '../auth/actor.js';
import type { PatientRelation } from '../auth/patient-grants.js';
import type { AuditAction, AuditEntryInput, AuditOutcome, AuditSink, PurposeOfUse } from './audit-entry.js';

/** The purpose of use each relation to a patient implies (HIPAA): care is treatment, break-glass is an emergency. */
export const PURPOSE_OF_RELATION: Readonly<Record<PatientRelation, PurposeOfUse>> = {
  SELF: 'TREATMENT',
  CARE_TEAM: 'TREATMENT',
  EMERGENCY: 'EMERGENCY',
  ADMIN: 'OPERATIONS',
};

/** Where an operation came from, copied onto each of its audit records. */
export interface RequestOrigin {
  readonly requestId: string;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
}

/** What one operation did to one patient, without the actor: the unit the audit records. */
export interface PatientAccessSummary {
  readonly patientId: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  readonly purpose: PurposeOfUse | null;
  /** Schema coordinates (`Patient.givenName`), sorted. */
  readonly fields: readonly string[];
}

/** A named event (not a field access) to record with the operation's records, e.g. a read of the audit itself. */
export interface NamedAuditEvent {
  readonly patientId: string | null;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  readonly purpose: PurposeOfUse | null;
  readonly fields?: readonly string[];
  readonly details?: AuditEntryInput['details'];
}

interface Accumulated {
  readonly patientId: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  purpose: PurposeOfUse | null;
  readonly fields: Set<string>;
}

/**
 * Collects, during one GraphQL operation (or one subscription event), which PHI fields of which
 * patients were touched, written or refused, then turns them into audit records: one per patient
 * per action and outcome, naming the fields, never their values. The `@auth` enforcement feeds it;
 * the transport flushes it before the response (or the event) leaves the server.
 */
export class PhiAccessRecorder {
  private readonly accesses = new Map<string, Accumulated>();
  private readonly events: NamedAuditEvent[] = [];

  /** A read of `coordinate` of a patient, allowed through a grant of `relation`. */
  read(patientId: string, coordinate: string, relation: PatientRelation | null): void {
    this.add(patientId, 'READ', 'ALLOWED', relation ? PURPOSE_OF_RELATION[relation] : null, [coordinate]);
  }

  /** A write (CREATE/UPDATE/DELETE) of a patient's record, naming the fields written. */
  write(patientId: string, action: AuditAction, fields: readonly string[], relation: PatientRelation | null): void {
    this.add(patientId, action, 'ALLOWED', relation ? PURPOSE_OF_RELATION[relation] : null, fields);
  }

  /** A refused attempt on a patient (out of scope, or a category the grant lacks); `coordinate` when a field was refused. */
  denied(patientId: string, coordinate: string | null, relation: PatientRelation | null = null): void {
    this.add(patientId, 'READ', 'DENIED', relation ? PURPOSE_OF_RELATION[relation] : null, coordinate ? [coordinate] : []);
  }

  /** Adds a named event to this operation's records. */
  event(event: NamedAuditEvent): void {
    this.events.push(event);
  }

  /** Whether nothing was collected. */
  get isEmpty(): boolean {
    return this.accesses.size === 0 && this.events.length === 0;
  }

  /** Takes what was collected (the recorder is empty afterwards). */
  take(): { accesses: PatientAccessSummary[]; events: NamedAuditEvent[] } {
    const accesses = [...this.accesses.values()].map((a) => ({ ...a, fields: [...a.fields].sort() }));
    const events = this.events.splice(0);
    this.accesses.clear();
    return { accesses, events };
  }

  /**
   * Appends what was collected as `actor`'s records and waits until they are durable. Nothing is
   * written for an anonymous caller (who can touch no patient data).
   */
  async flush(sink: AuditSink, actor: Actor | null, origin: RequestOrigin): Promise<void> {
    const { accesses, events } = this.take();
    if (!actor) return;
    await sink.append(auditEntriesFor(actor, origin, accesses, events));
  }

  private add(patientId: string, action: AuditAction, outcome: AuditOutcome, purpose: PurposeOfUse | null, fields: readonly string[]): void {
    const key = `${patientId}\u0000${action}\u0000${outcome}`;
    let entry = this.accesses.get(key);
    if (!entry) this.accesses.set(key, (entry = { patientId, action, outcome, purpose, fields: new Set() }));
    if (purpose && !entry.purpose) entry.purpose = purpose;
    for (const field of fields) entry.fields.add(field);
  }
}

const NO_DETAILS: AuditEntryInput['details'] = Object.freeze({});

/**
 * The audit records of an operation's accesses and events, as `actor`'s, from `origin`; each
 * access record carries `accessDetails` (a live delivery's event number).
 */
export function auditEntriesFor(
  actor: Actor,
  origin: RequestOrigin,
  accesses: readonly PatientAccessSummary[],
  events: readonly NamedAuditEvent[] = [],
  accessDetails: AuditEntryInput['details'] = NO_DETAILS,
): AuditEntryInput[] {
  // Each record is built with its properties listed (not spread from a shared base): a live event
  // reaching a thousand subscribers builds a thousand of these, and spreads cost several times more.
  const who = { type: 'USER' as const, userId: actor.userId, role: actor.role, sessionId: actor.sessionId ?? null };
  const entry = (patientId: string | null, action: AuditAction, fields: readonly string[], purpose: PurposeOfUse | null, outcome: AuditOutcome, details: AuditEntryInput['details']): AuditEntryInput => ({
    tenantId: actor.tenantId,
    actor: who,
    requestId: origin.requestId,
    clientIp: origin.clientIp,
    userAgent: origin.userAgent,
    patientId,
    action,
    fields,
    purpose,
    outcome,
    details,
  });
  const entries: AuditEntryInput[] = [];
  for (const a of accesses) entries.push(entry(a.patientId, a.action, a.fields, a.purpose, a.outcome, accessDetails));
  for (const e of events) entries.push(entry(e.patientId, e.action, e.fields ?? [], e.purpose, e.outcome, e.details ?? {}));
  return entries;
}
