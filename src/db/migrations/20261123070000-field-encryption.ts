import { Migration } from '@mikro-orm/migrations';

/**
 * Field-level encryption at rest (`src/crypto`): the data-key table, PHI columns widened to `text`
 * (ciphertext does not fit length limits, dates or jsonb), blind-index columns, and the progress
 * marker of `keys:reencrypt`.
 *
 * Existing values stay as they are (plaintext, now as text): reads pass legacy plaintext through
 * until `npm run cradle -- keys:reencrypt` encrypts them and fills the blind indexes; until then
 * sign-in finds a legacy account by its plaintext e-mail. The e-mail unique constraint moves to
 * the blind index (installation-wide, as e-mail addresses were).
 */
export class Migration20261123070000FieldEncryption extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "field_data_key" (
      "id" uuid primary key,
      "tenant_id" uuid null,
      "purpose" text not null check ("purpose" in ('DATA', 'INDEX')),
      "kek_id" text not null,
      "wrapped_key" text not null,
      "uses" bigint not null default 0,
      "max_uses" bigint not null,
      "created_at" timestamptz not null default now(),
      "retired_at" timestamptz null,
      check (("purpose" = 'DATA') = ("tenant_id" is not null)));`);
    this.addSql(`create unique index "field_data_key_index_key_unique" on "field_data_key" ("purpose") where "tenant_id" is null;`);
    this.addSql(`create index "field_data_key_tenant_index" on "field_data_key" ("tenant_id", "created_at") where "retired_at" is null;`);

    this.addSql(`create table "field_reencryption_progress" (
      "table_name" text primary key,
      "last_id" text not null,
      "updated_at" timestamptz not null default now());`);

    const widen = (table: string, columns: string[]) =>
      this.addSql(`alter table "${table}" ${columns.map((c) => `alter column "${c}" type text using "${c}"::text`).join(', ')};`);
    widen('patient', ['given_name', 'family_name', 'birth_date', 'delivery_date', 'mrn', 'phone', 'email']);
    widen('infant', ['given_name', 'birth_date']);
    widen('app_user', ['email', 'display_name']);
    widen('status_update', ['data']);
    widen('emergency_access', ['justification', 'review_note']);
    widen('totp_credential', ['secret']);

    this.addSql(`alter table "app_user" drop constraint "app_user_email_unique";`);
    this.addSql(`alter table "app_user" add column "email_index" text null;`);
    this.addSql(`create unique index "app_user_email_index_unique" on "app_user" ("email_index");`);
    this.addSql(`alter table "patient" add column "mrn_index" text null;`);
    this.addSql(`create index "patient_mrn_index_index" on "patient" ("tenant_id", "mrn_index");`);
  }

  override async down(): Promise<void> {
    // Only meaningful before any value was encrypted (ciphertext does not fit the old types).
    this.addSql(`drop index if exists "patient_mrn_index_index";`);
    this.addSql(`alter table "patient" drop column if exists "mrn_index";`);
    this.addSql(`drop index if exists "app_user_email_index_unique";`);
    this.addSql(`alter table "app_user" drop column if exists "email_index";`);
    this.addSql(`alter table "app_user" add constraint "app_user_email_unique" unique ("email");`);
    this.addSql(`alter table "status_update" alter column "data" type jsonb using "data"::jsonb;`);
    this.addSql(`alter table "patient" alter column "birth_date" type date using "birth_date"::date, alter column "delivery_date" type date using "delivery_date"::date;`);
    this.addSql(`alter table "infant" alter column "birth_date" type date using "birth_date"::date;`);
    this.addSql(`drop table if exists "field_reencryption_progress";`);
    this.addSql(`drop table if exists "field_data_key";`);
  }
}
