import { Migration } from '@mikro-orm/migrations';

/**
 * The TOTP second factor: one credential per user (secret, confirmation, last accepted time step,
 * enrolment ticket), its single-use recovery codes (SHA-256 only), and the tenant policy that
 * requires it of clinicians.
 */
export class Migration20261123040000Totp extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "tenant" add column "require_totp_for_clinicians" boolean not null default false;`);

    this.addSql(`create table "totp_credential" (
      "user_id" uuid primary key references "app_user" ("id") deferrable initially deferred,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "secret" varchar(64) null,
      "confirmed_at" timestamptz null,
      "last_used_step" bigint null,
      "enrolment_ticket_hash" varchar(64) null,
      "enrolment_ticket_expires_at" timestamptz null,
      "updated_at" timestamptz not null,
      constraint "totp_credential_enrolment_ticket_hash_unique" unique ("enrolment_ticket_hash"));`);

    this.addSql(`create table "totp_recovery_code" (
      "id" uuid primary key,
      "user_id" uuid not null references "app_user" ("id") deferrable initially deferred,
      "code_hash" varchar(64) not null,
      "used_at" timestamptz null,
      "created_at" timestamptz not null);`);
    this.addSql(`create index "totp_recovery_code_user_id_index" on "totp_recovery_code" ("user_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "totp_recovery_code";`);
    this.addSql(`drop table if exists "totp_credential";`);
    this.addSql(`alter table "tenant" drop column if exists "require_totp_for_clinicians";`);
  }
}
