import { Migration } from '@mikro-orm/migrations';

/**
 * The foundation schema: tenants, users, patients, infants, care teams, status updates and the
 * transactional outbox. Foreign keys hold every row to its tenant; a partial unique index allows one
 * active care-team membership per patient and user. Foreign keys are checked at commit (deferred), because
 * the unit of work does not order inserts across entities that declare no ORM relations.
 */
export class Migration20261123000000Foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "tenant" (
      "id" uuid primary key,
      "name" varchar(200) not null,
      "event_seq" bigint not null default 0,
      "created_at" timestamptz not null default now());`);

    this.addSql(`create table "app_user" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "email" varchar(320) not null,
      "password_hash" varchar(200) not null,
      "role" text not null check ("role" in ('PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT',
        'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR', 'RESEARCHER', 'COMPLIANCE_OFFICER', 'ADMIN')),
      "display_name" varchar(200) not null,
      "created_at" timestamptz not null default now(),
      "disabled_at" timestamptz null,
      constraint "app_user_email_unique" unique ("email"));`);
    this.addSql(`create index "app_user_tenant_id_index" on "app_user" ("tenant_id");`);

    this.addSql(`create table "patient" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "user_id" uuid null references "app_user" ("id") deferrable initially deferred,
      "given_name" varchar(200) not null,
      "family_name" varchar(200) not null,
      "birth_date" date not null,
      "delivery_date" date not null,
      "mrn" varchar(64) null,
      "phone" varchar(40) null,
      "email" varchar(320) null,
      "created_at" timestamptz not null default now(),
      "created_by" uuid not null references "app_user" ("id") deferrable initially deferred,
      constraint "patient_user_id_unique" unique ("user_id"));`);
    this.addSql(`create index "patient_tenant_id_index" on "patient" ("tenant_id", "id");`);

    this.addSql(`create table "infant" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "patient_id" uuid not null references "patient" ("id") deferrable initially deferred,
      "given_name" varchar(200) not null,
      "birth_date" date not null,
      "birth_weight_grams" int not null check ("birth_weight_grams" > 0),
      "created_at" timestamptz not null default now());`);
    this.addSql(`create index "infant_tenant_id_index" on "infant" ("tenant_id");`);
    this.addSql(`create index "infant_patient_id_index" on "infant" ("patient_id");`);

    this.addSql(`create table "care_team_member" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "patient_id" uuid not null references "patient" ("id") deferrable initially deferred,
      "user_id" uuid not null references "app_user" ("id") deferrable initially deferred,
      "role" text not null check ("role" in ('PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT',
        'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR')),
      "assigned_at" timestamptz not null default now(),
      "assigned_by" uuid not null references "app_user" ("id") deferrable initially deferred,
      "removed_at" timestamptz null,
      "removed_by" uuid null references "app_user" ("id") deferrable initially deferred);`);
    this.addSql(`create index "care_team_member_tenant_id_index" on "care_team_member" ("tenant_id");`);
    this.addSql(`create index "care_team_member_patient_id_index" on "care_team_member" ("patient_id");`);
    this.addSql(`create index "care_team_member_user_id_index" on "care_team_member" ("user_id");`);
    this.addSql(`create unique index "care_team_member_active_unique" on "care_team_member" ("patient_id", "user_id") where "removed_at" is null;`);

    this.addSql(`create table "status_update" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "patient_id" uuid not null references "patient" ("id") deferrable initially deferred,
      "infant_id" uuid null references "infant" ("id") deferrable initially deferred,
      "kind" text not null check ("kind" in ('MOOD', 'FEEDING', 'SLEEP', 'VITALS', 'INFANT_VITALS', 'SYMPTOMS', 'SCREENING')),
      "recorded_at" timestamptz not null,
      "recorded_by" uuid not null references "app_user" ("id") deferrable initially deferred,
      "data" jsonb not null,
      "seq" bigint not null,
      "created_at" timestamptz not null default now(),
      constraint "status_update_tenant_id_seq_unique" unique ("tenant_id", "seq"));`);
    this.addSql(`create index "status_update_tenant_id_patient_id_seq_index" on "status_update" ("tenant_id", "patient_id", "seq");`);

    this.addSql(`create table "outbox_event" (
      "id" bigserial primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "seq" bigint not null,
      "type" text not null check ("type" in ('STATUS_UPDATE_LOGGED')),
      "patient_id" uuid not null references "patient" ("id") deferrable initially deferred,
      "subject_id" uuid not null,
      "kind" varchar(40) not null,
      "created_at" timestamptz not null default now(),
      "published_at" timestamptz null,
      constraint "outbox_event_tenant_id_seq_unique" unique ("tenant_id", "seq"));`);
    this.addSql(`create index "outbox_event_unpublished_index" on "outbox_event" ("id") where "published_at" is null;`);
  }

  override async down(): Promise<void> {
    for (const table of ['outbox_event', 'status_update', 'care_team_member', 'infant', 'patient', 'app_user', 'tenant']) {
      this.addSql(`drop table if exists "${table}";`);
    }
  }
}
