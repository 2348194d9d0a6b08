import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditEntryInput, AuditSink } from '../audit/audit-entry.js';

/**
 * The retention policy of clinical records (status updates, deleted or not), and its purge.
 *
 * A mother's status updates are kept for `retentionYears` (`CRADLE_CLINICAL_RETENTION_YEARS`,
 * default 10, at least 6) after her **last** one was recorded: the usual rule of thumb for adult
 * medical records (AHIMA's guidance: 10 years after the most recent encounter; US state laws
 * mostly ask 5 to 10). Updates about an infant (feeding, infant vitals) are never purged here: a
 * minor's record is kept until the age of majority plus the limitation period, which needs the
 * infant's birth date (encrypted, so not filterable in SQL); those wait for a later pass.
 *
 * Purging destroys the rows (and their alert-evidence links and published outbox events). The
 * audit trail is not touched: its records are kept at least six years (HIPAA 164.316(b)(2)) and
 * have no deletion path at all. Each purge appends, before it deletes, one DELETE record per
 * patient by the SYSTEM actor `retention-purge`, with the count and the policy, no values.
 */

/** The SYSTEM component named on purge audit records. */
export const RETENTION_PURGE_COMPONENT = 'retention-purge';

/** Options of {@link purgeExpiredClinicalRecords}. */
export interface RetentionPurgeOptions {
  readonly retentionYears: number;
  /** The clock, in milliseconds since the epoch. */
  readonly now: number;
  /** Report what would be purged without purging or auditing. */
  readonly dryRun?: boolean;
}

/** What a purge did (or, dry, would do). */
export interface RetentionPurgeResult {
  readonly retentionYears: number;
  /** Records last recorded before this instant are past retention (ISO 8601). */
  readonly cutoff: string;
  readonly patients: number;
  readonly purged: number;
  readonly dryRun: boolean;
}

/** The instant `years` calendar years before `now`. */
export function retentionCutoff(now: number, years: number): Date {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  return cutoff;
}

/**
 * Destroys the status updates (not about an infant) of every patient whose latest status update was
 * recorded before the retention cutoff. Runs outside the tenant wall (the command line's
 * connection); one transaction per patient, after her audit record is durable.
 */
export async function purgeExpiredClinicalRecords(em: EntityManager, audit: AuditSink, options: RetentionPurgeOptions): Promise<RetentionPurgeResult> {
  const cutoff = retentionCutoff(options.now, options.retentionYears);
  const expired = await em.execute<Array<{ tenant_id: string; patient_id: string; purgeable: string | number }>>(
    `select "tenant_id", "patient_id", count(*) filter (where "infant_id" is null) as "purgeable"
     from "status_update" group by "tenant_id", "patient_id"
     having max("recorded_at") < ? and count(*) filter (where "infant_id" is null) > 0
     order by "tenant_id", "patient_id"`,
    [cutoff],
  );
  let purged = 0;
  for (const patient of expired) {
    if (options.dryRun) {
      purged += Number(patient.purgeable);
      continue;
    }
    const entry: AuditEntryInput = {
      tenantId: patient.tenant_id,
      actor: { type: 'SYSTEM', component: RETENTION_PURGE_COMPONENT },
      patientId: patient.patient_id,
      action: 'DELETE',
      fields: ['StatusUpdate'],
      purpose: 'OPERATIONS',
      outcome: 'ALLOWED',
      requestId: null,
      clientIp: null,
      userAgent: null,
      details: { reason: 'RETENTION_EXPIRED', records: Number(patient.purgeable), retentionYears: options.retentionYears, cutoff: cutoff.toISOString() },
    };
    await audit.append([entry]);
    purged += await em.transactional(async (tx) => {
      // Nothing is purged if she logged again since the selection (her retention restarted).
      const ids = (
        await tx.execute<Array<{ id: string }>>(
          `select "id" from "status_update" s where s."tenant_id" = ? and s."patient_id" = ? and s."infant_id" is null
             and not exists (select 1 from "status_update" n where n."tenant_id" = s."tenant_id" and n."patient_id" = s."patient_id" and n."recorded_at" >= ?)
           for update`,
          [patient.tenant_id, patient.patient_id, cutoff],
        )
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      await tx.execute(`delete from "alert_evidence" where "status_update_id" in (?)`, [ids]);
      await tx.execute(`delete from "outbox_event" where "tenant_id" = ? and "subject_id" in (?) and "published_at" is not null`, [patient.tenant_id, ids]);
      await tx.execute(`delete from "status_update" where "id" in (?)`, [ids]);
      return ids.length;
    });
  }
  return { retentionYears: options.retentionYears, cutoff: cutoff.toISOString(), patients: expired.length, purged, dryRun: options.dryRun ?? false };
}

/** The `retention:*` lines of the command line's usage. */
export const RETENTION_COMMANDS_USAGE = `  retention:purge [--dry-run]
      Destroys the status updates of patients whose latest one was recorded more than
      CRADLE_CLINICAL_RETENTION_YEARS (default 10) years ago, auditing each patient's purge first;
      the audit trail itself is never purged. Prints {"retentionYears","cutoff","patients","purged","dryRun"}.
      Run it from a scheduler (daily or monthly); on the embedded database, stop the server first.`;
