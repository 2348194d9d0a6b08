import { Migration } from '@mikro-orm/migrations';

/** Patients' consents and break-glass emergency access, both kept for the audit (never deleted). */
export class Migration20261123030000ConsentEmergency extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "consent" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "patient_id" uuid not null references "patient" ("id") deferrable initially deferred,
      "type" text not null check ("type" in ('CARE_COORDINATION', 'DATA_SHARING', 'RESEARCH')),
      "categories" jsonb not null,
      "version" varchar(40) not null,
      "granted_at" timestamptz not null,
      "granted_by" uuid not null references "app_user" ("id") deferrable initially deferred,
      "expires_at" timestamptz null,
      "revoked_at" timestamptz null,
      "revoked_by" uuid null references "app_user" ("id") deferrable initially deferred);`);
    this.addSql(`create index "consent_patient_index" on "consent" ("tenant_id", "patient_id") where "revoked_at" is null;`);

    this.addSql(`create table "emergency_access" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "patient_id" uuid not null references "patient" ("id") deferrable initially deferred,
      "user_id" uuid not null references "app_user" ("id") deferrable initially deferred,
      "justification" varchar(2000) not null,
      "granted_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "reviewed_at" timestamptz null,
      "reviewed_by" uuid null references "app_user" ("id") deferrable initially deferred,
      "review_outcome" text null check ("review_outcome" in ('APPROPRIATE', 'INAPPROPRIATE')),
      "review_note" varchar(2000) null);`);
    this.addSql(`create index "emergency_access_user_index" on "emergency_access" ("tenant_id", "user_id", "patient_id", "expires_at");`);
    this.addSql(`create index "emergency_access_unreviewed_index" on "emergency_access" ("tenant_id", "granted_at") where "reviewed_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "emergency_access";`);
    this.addSql(`drop table if exists "consent";`);
  }
}
