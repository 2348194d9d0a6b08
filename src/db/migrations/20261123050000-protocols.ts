import { Migration } from '@mikro-orm/migrations';

const FK = 'deferrable initially deferred';

/**
 * Care protocols and alerts (issue 5): protocols with immutable versions, alerts with evidence and
 * history, durable escalation jobs, follow-up tasks, safety messages, the evaluation worker's
 * per-tenant cursor and the schedules of SCHEDULED protocols. Alerts announce their changes in the
 * outbox as ALERT_CHANGED. Existing tenants start evaluating from their current cursor (history
 * logged before protocols existed is not replayed through them).
 */
export class Migration20261123050000Protocols extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "protocol" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "built_in_key" varchar(80) null,
      "enabled" boolean not null default true,
      "active_version_id" uuid null,
      "created_at" timestamptz not null,
      "created_by" uuid null references "app_user" ("id") ${FK});`);
    this.addSql(`create unique index "protocol_built_in_unique" on "protocol" ("tenant_id", "built_in_key") where "built_in_key" is not null;`);
    this.addSql(`create index "protocol_tenant_index" on "protocol" ("tenant_id");`);

    this.addSql(`create table "protocol_version" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "protocol_id" uuid not null references "protocol" ("id") ${FK},
      "number" int not null check ("number" > 0),
      "status" text not null check ("status" in ('DRAFT', 'ACTIVE', 'RETIRED')),
      "definition" jsonb not null,
      "parameters" jsonb null,
      "author_id" uuid null references "app_user" ("id") ${FK},
      "change_note" varchar(2000) not null,
      "guideline" varchar(500) null,
      "created_at" timestamptz not null,
      constraint "protocol_version_number_unique" unique ("protocol_id", "number"));`);
    this.addSql(`create unique index "protocol_version_one_active" on "protocol_version" ("protocol_id") where "status" = 'ACTIVE';`);
    this.addSql(`alter table "protocol" add constraint "protocol_active_version_fk" foreign key ("active_version_id") references "protocol_version" ("id") ${FK};`);

    this.addSql(`create table "alert" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "patient_id" uuid not null references "patient" ("id") ${FK},
      "protocol_id" uuid not null references "protocol" ("id") ${FK},
      "protocol_version_id" uuid not null references "protocol_version" ("id") ${FK},
      "severity" text not null check ("severity" in ('INFO', 'WARNING', 'CRITICAL')),
      "status" text not null check ("status" in ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
      "category" varchar(40) not null,
      "route_to" jsonb not null,
      "incomplete_data" boolean not null default false,
      "escalation_step" int null,
      "opened_seq" bigint not null,
      "opened_at" timestamptz not null,
      "acknowledged_by" uuid null references "app_user" ("id") ${FK},
      "acknowledged_at" timestamptz null,
      "resolved_by" uuid null references "app_user" ("id") ${FK},
      "resolved_at" timestamptz null,
      "resolution_note" varchar(2000) null);`);
    this.addSql(`create unique index "alert_one_open_per_protocol_patient" on "alert" ("protocol_id", "patient_id") where "status" <> 'RESOLVED';`);
    this.addSql(`create index "alert_tenant_patient_index" on "alert" ("tenant_id", "patient_id", "opened_seq");`);

    this.addSql(`create table "alert_evidence" (
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "alert_id" uuid not null references "alert" ("id") ${FK},
      "status_update_id" uuid not null references "status_update" ("id") ${FK},
      "added_at" timestamptz not null,
      primary key ("alert_id", "status_update_id"));`);

    this.addSql(`create table "alert_history" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "alert_id" uuid not null references "alert" ("id") ${FK},
      "patient_id" uuid not null references "patient" ("id") ${FK},
      "action" text not null check ("action" in ('RAISED', 'EVIDENCE_ADDED', 'SEVERITY_RAISED', 'PAGED', 'ACKNOWLEDGED', 'RESOLVED')),
      "actor_id" uuid null references "app_user" ("id") ${FK},
      "actor_role" varchar(40) null,
      "at" timestamptz not null,
      "severity" varchar(20) not null,
      "escalation_step" int null,
      "escalation_round" int null,
      "escalation_tier" int null,
      "seq" bigint null,
      "recipients" jsonb null);`);
    this.addSql(`create index "alert_history_alert_index" on "alert_history" ("alert_id", "at");`);
    this.addSql(`create unique index "alert_history_seq_unique" on "alert_history" ("tenant_id", "seq") where "seq" is not null;`);

    this.addSql(`create table "escalation_job" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "alert_id" uuid not null references "alert" ("id") ${FK},
      "step_index" int not null check ("step_index" >= 0),
      "due_at" timestamptz not null,
      "done_at" timestamptz null,
      "cancelled" boolean not null default false);`);
    this.addSql(`create index "escalation_job_due_index" on "escalation_job" ("due_at") where "done_at" is null;`);
    this.addSql(`create index "escalation_job_alert_index" on "escalation_job" ("alert_id") where "done_at" is null;`);

    this.addSql(`create table "follow_up_task" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "patient_id" uuid not null references "patient" ("id") ${FK},
      "protocol_id" uuid not null references "protocol" ("id") ${FK},
      "protocol_version_id" uuid not null references "protocol_version" ("id") ${FK},
      "alert_id" uuid null references "alert" ("id") ${FK},
      "title" varchar(200) not null,
      "assigned_role" varchar(40) not null,
      "due_at" timestamptz not null,
      "status" text not null check ("status" in ('OPEN', 'DONE')),
      "created_at" timestamptz not null);`);
    this.addSql(`create index "follow_up_task_patient_index" on "follow_up_task" ("tenant_id", "patient_id", "status");`);

    this.addSql(`create table "safety_message" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "patient_id" uuid not null references "patient" ("id") ${FK},
      "protocol_id" uuid not null references "protocol" ("id") ${FK},
      "protocol_version_id" uuid not null references "protocol_version" ("id") ${FK},
      "alert_id" uuid null references "alert" ("id") ${FK},
      "template_key" varchar(60) not null,
      "sent_at" timestamptz not null);`);
    this.addSql(`create index "safety_message_patient_index" on "safety_message" ("tenant_id", "patient_id", "sent_at");`);

    this.addSql(`create table "alerting_cursor" (
      "tenant_id" uuid primary key references "tenant" ("id") ${FK},
      "last_seq" bigint not null);`);
    this.addSql(`insert into "alerting_cursor" ("tenant_id", "last_seq") select "id", "event_seq" from "tenant";`);

    this.addSql(`create table "protocol_schedule" (
      "protocol_id" uuid primary key references "protocol" ("id") ${FK},
      "tenant_id" uuid not null references "tenant" ("id") ${FK},
      "due_at" timestamptz not null);`);
    this.addSql(`create index "protocol_schedule_due_index" on "protocol_schedule" ("due_at");`);

    this.addSql(`alter table "outbox_event" drop constraint if exists "outbox_event_type_check";`);
    this.addSql(`alter table "outbox_event" add constraint "outbox_event_type_check" check ("type" in ('STATUS_UPDATE_LOGGED', 'ALERT_CHANGED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outbox_event" drop constraint if exists "outbox_event_type_check";`);
    this.addSql(`alter table "outbox_event" add constraint "outbox_event_type_check" check ("type" in ('STATUS_UPDATE_LOGGED'));`);
    for (const table of ['protocol_schedule', 'alerting_cursor', 'safety_message', 'follow_up_task', 'escalation_job', 'alert_history', 'alert_evidence', 'alert']) {
      this.addSql(`drop table if exists "${table}";`);
    }
    this.addSql(`alter table "protocol" drop constraint if exists "protocol_active_version_fk";`);
    this.addSql(`drop table if exists "protocol_version";`);
    this.addSql(`drop table if exists "protocol";`);
  }
}
