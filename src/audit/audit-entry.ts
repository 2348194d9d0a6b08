import type { Role } from '../db/entities/index.js';

/**
 * The shape of one audit record, shared by everything that writes to the audit trail (the field
 * `@auth` machinery, services, the escalation worker, the mailbox). Audit records never carry PHI
 * values: they name fields, ids and outcomes.
 */

/** Why health data was used (HIPAA purposes of use). */
export const PURPOSES_OF_USE = ['TREATMENT', 'EMERGENCY', 'RESEARCH', 'OPERATIONS'] as const;
/** One of {@link PURPOSES_OF_USE}. */
export type PurposeOfUse = (typeof PURPOSES_OF_USE)[number];

/** Whether the access was allowed or denied. */
export type AuditOutcome = 'ALLOWED' | 'DENIED';

/**
 * What happened. `READ`/`CREATE`/`UPDATE`/`DELETE` are accesses to a patient's record; the others
 * are named events (sign-in, alert acknowledgement, message metadata, break-glass, key rotation…).
 * Free-form upper-case names are allowed so each capability names its own events in one place.
 */
export type AuditAction = 'READ' | 'CREATE' | 'UPDATE' | 'DELETE' | (string & {});

/** Who acted: a signed-in user, or the system itself (escalation timers, the protocol engine, the CLI). */
export type AuditActor =
  | { readonly type: 'USER'; readonly userId: string; readonly role: Role; readonly sessionId?: string | null }
  | { readonly type: 'SYSTEM'; readonly component: string };

/** One audit record to append. */
export interface AuditEntryInput {
  readonly tenantId: string;
  readonly actor: AuditActor;
  /** The patient whose record was touched; null for events about no patient (a sign-in). */
  readonly patientId: string | null;
  readonly action: AuditAction;
  /** The PHI fields touched, as schema coordinates (`Patient.givenName`) or column names; never values. */
  readonly fields: readonly string[];
  readonly purpose: PurposeOfUse | null;
  readonly outcome: AuditOutcome;
  /** Where the request came from, when there was one. */
  readonly requestId: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  /** Ids and small facts (counts, sizes, codes) that explain the record; never PHI values. */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * Appends audit records. Implementations must make an appended record durable before the caller's
 * response is sent (a read that happened is never unaudited), and may batch records of concurrent
 * requests into one write.
 */
export interface AuditSink {
  append(entries: readonly AuditEntryInput[]): Promise<void>;
}
