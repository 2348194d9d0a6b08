import { Migration } from '@mikro-orm/migrations';

/**
 * The audit trail (HIPAA 164.312(b)) and compliance monitoring.
 *
 * - `audit_event`: append-only. One row per access (or named event), never a PHI value. Each row
 *   carries `seq` (1, 2, 3… per tenant), the previous row's hash and its own SHA-256 over a
 *   canonical encoding (see `src/audit/audit-hash.ts`): a hash chain per tenant. Triggers refuse
 *   UPDATE, DELETE and TRUNCATE for every role (a superuser must disable them explicitly, which the
 *   chain and the external checkpoints then expose). There is deliberately no foreign key: the
 *   evidence must never depend on, or block, changes to other rows. Retention: kept at least six
 *   years; no deletion path exists.
 * - `audit_chain_head`: the last `seq` and hash per tenant, taken `for update` by each appending
 *   transaction, which serialises the writers of a tenant's chain across instances.
 * - `compliance_event`, `compliance_monitor` (the rules' cursor over the audit stream per tenant
 *   and the compliance events' own sequence) and `compliance_settings` (per-tenant thresholds).
 */
export class Migration20261123060000Audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "audit_event" (
      "tenant_id" uuid not null,
      "seq" bigint not null check ("seq" > 0),
      "actor_type" text not null check ("actor_type" in ('USER', 'SYSTEM')),
      "actor_id" text not null,
      "actor_role" text null,
      "session_id" text null,
      "patient_id" uuid null,
      "action" varchar(60) not null,
      "fields" text[] not null,
      "purpose" text null check ("purpose" in ('TREATMENT', 'EMERGENCY', 'RESEARCH', 'OPERATIONS')),
      "outcome" text not null check ("outcome" in ('ALLOWED', 'DENIED')),
      "request_id" varchar(100) null,
      "client_ip" varchar(100) null,
      "user_agent" varchar(500) null,
      "details" jsonb not null,
      "occurred_at" timestamptz not null,
      "prev_hash" char(64) not null,
      "hash" char(64) not null,
      constraint "audit_event_pkey" primary key ("tenant_id", "seq"));`);
    this.addSql(`create index "audit_event_patient_index" on "audit_event" ("tenant_id", "patient_id", "seq");`);
    this.addSql(`create index "audit_event_actor_index" on "audit_event" ("tenant_id", "actor_id", "occurred_at");`);
    this.addSql(`create index "audit_event_request_index" on "audit_event" ("tenant_id", "request_id");`);
    this.addSql(`create index "audit_event_time_index" on "audit_event" ("tenant_id", "occurred_at");`);
    this.addSql(`create function "audit_event_append_only"() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_event is append-only: % refused', tg_op using errcode = '42501';
      end $$;`);
    this.addSql(`create trigger "audit_event_no_update_delete" before update or delete on "audit_event"
      for each row execute function "audit_event_append_only"();`);
    this.addSql(`create trigger "audit_event_no_truncate" before truncate on "audit_event"
      for each statement execute function "audit_event_append_only"();`);

    this.addSql(`create table "audit_chain_head" (
      "tenant_id" uuid primary key,
      "seq" bigint not null,
      "hash" char(64) not null,
      "updated_at" timestamptz not null);`);

    this.addSql(`create table "compliance_monitor" (
      "tenant_id" uuid primary key,
      "audit_seq" bigint not null default 0,
      "event_seq" bigint not null default 0);`);
    this.addSql(`create table "compliance_event" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "seq" bigint not null,
      "rule" text not null,
      "actor_id" text null,
      "patient_id" uuid null,
      "audit_seq" bigint not null,
      "details" jsonb not null,
      "occurred_at" timestamptz not null,
      "created_at" timestamptz not null,
      constraint "compliance_event_tenant_seq_unique" unique ("tenant_id", "seq"));`);
    this.addSql(`create index "compliance_event_rule_index" on "compliance_event" ("tenant_id", "rule", "actor_id", "occurred_at");`);
    this.addSql(`create table "compliance_settings" (
      "tenant_id" uuid primary key,
      "thresholds" jsonb not null,
      "updated_at" timestamptz not null,
      "updated_by" uuid null);`);
  }

  override async down(): Promise<void> {
    for (const table of ['compliance_settings', 'compliance_event', 'compliance_monitor', 'audit_chain_head']) this.addSql(`drop table if exists "${table}";`);
    this.addSql(`drop table if exists "audit_event";`);
    this.addSql(`drop function if exists "audit_event_append_only"();`);
  }
}
