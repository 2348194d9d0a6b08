import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './20261123090000-row-level-security.js';

/**
 * `audit_actor_hour`: how many allowed accesses (READ, CREATE, UPDATE, DELETE) each actor made in
 * each UTC hour, as far as the compliance monitor has evaluated the audit stream. The
 * OUTSIDE_USUAL_HOURS rule reads an actor's baseline (up to a year) from here: at most 24 rows a
 * day, where the audit trail of a clinician with a unit-wide live dashboard holds hundreds of
 * thousands. Derived data: the monitor adds each batch's counts in the transaction that moves its
 * cursor, so the table always matches the records evaluated.
 *
 * The backfill counts the records every tenant's monitor has already evaluated (those after its
 * cursor are counted when the monitor reaches them).
 */
export class Migration20261203200000AuditActorHours extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "audit_actor_hour" (
      "tenant_id" uuid not null,
      "actor_id" text not null,
      "hour" timestamptz not null,
      "accesses" bigint not null,
      primary key ("tenant_id", "actor_id", "hour"));`);
    for (const statement of tenantIsolationSql('audit_actor_hour')) this.addSql(statement);
    this.addSql(`insert into "audit_actor_hour" ("tenant_id", "actor_id", "hour", "accesses")
      select a."tenant_id", a."actor_id", date_trunc('hour', a."occurred_at" at time zone 'UTC') at time zone 'UTC', count(*)
      from "audit_event" a join "compliance_monitor" m on m."tenant_id" = a."tenant_id" and a."seq" <= m."audit_seq"
      where a."action" in ('READ', 'CREATE', 'UPDATE', 'DELETE') and a."outcome" = 'ALLOWED'
      group by 1, 2, 3;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_actor_hour";`);
  }
}
