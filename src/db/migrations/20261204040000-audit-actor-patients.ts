import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './20261123090000-row-level-security.js';

/**
 * `audit_actor_patient`: for each actor and patient, when the actor last accessed the patient's
 * record (an allowed READ, CREATE, UPDATE or DELETE), as far as the compliance monitor has evaluated
 * the audit stream. The MANY_PATIENTS rule counts an actor's distinct patients in its window from
 * here: one row per patient, where the trail of a clinician with a live dashboard holds a record
 * per delivered update. Derived data, like `audit_actor_hour`: the monitor applies each batch in the
 * transaction that moves its cursor, so any instance evaluating the stream reads the same state.
 *
 * No index on `last_at`: each batch moves it for every active pair, and without one PostgreSQL can
 * update those rows in place (HOT); the hourly prune reads the tenant's rows, at most a day of pairs.
 *
 * The monitor prunes rows older than the longest window a tenant may set (a day), so the backfill
 * takes only the last day of the records already evaluated (those after a tenant's cursor are
 * applied when the monitor reaches them).
 */
export class Migration20261204040000AuditActorPatients extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "audit_actor_patient" (
      "tenant_id" uuid not null,
      "actor_id" text not null,
      "patient_id" uuid not null,
      "last_at" timestamptz not null,
      primary key ("tenant_id", "actor_id", "patient_id"));`);
    for (const statement of tenantIsolationSql('audit_actor_patient')) this.addSql(statement);
    this.addSql(`insert into "audit_actor_patient" ("tenant_id", "actor_id", "patient_id", "last_at")
      select a."tenant_id", a."actor_id", a."patient_id", timestamptz 'epoch' + max((extract(epoch from a."occurred_at") * 1000)::bigint) * interval '1 millisecond'
      from "audit_event" a join "compliance_monitor" m on m."tenant_id" = a."tenant_id" and a."seq" <= m."audit_seq"
      where a."action" in ('READ', 'CREATE', 'UPDATE', 'DELETE') and a."outcome" = 'ALLOWED' and a."patient_id" is not null
        and a."occurred_at" > now() - interval '25 hours'
      group by 1, 2, 3;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_actor_patient";`);
  }
}
