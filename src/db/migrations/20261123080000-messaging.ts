import { Migration } from '@mikro-orm/migrations';

/**
 * Secure messaging (Signal protocol): the key directory (devices, one-time EC and Kyber prekeys)
 * and the mailbox of opaque ciphertext envelopes. The server never holds a private key or a
 * plaintext: every key column is a public key or a signature, every body is ciphertext.
 */
export class Migration20261123080000Messaging extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "messaging_device" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "user_id" uuid not null references "app_user" ("id") deferrable initially deferred,
      "device_id" smallint not null check ("device_id" between 1 and 127),
      "registration_id" integer not null check ("registration_id" between 1 and 16383),
      "identity_key" bytea not null,
      "signed_pre_key_id" integer not null,
      "signed_pre_key" bytea not null,
      "signed_pre_key_signature" bytea not null,
      "kyber_last_resort_id" integer not null,
      "kyber_last_resort_key" bytea not null,
      "kyber_last_resort_signature" bytea not null,
      "next_envelope_seq" bigint not null default 0,
      "created_at" timestamptz not null,
      constraint "messaging_device_user_device_unique" unique ("user_id", "device_id"));`);
    this.addSql(`create index "messaging_device_tenant_user_index" on "messaging_device" ("tenant_id", "user_id");`);

    this.addSql(`create table "messaging_pre_key" (
      "device_pk" uuid not null references "messaging_device" ("id") on delete cascade deferrable initially deferred,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "key_id" integer not null,
      "public_key" bytea not null,
      primary key ("device_pk", "key_id"));`);

    this.addSql(`create table "messaging_kyber_pre_key" (
      "device_pk" uuid not null references "messaging_device" ("id") on delete cascade deferrable initially deferred,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "key_id" integer not null,
      "public_key" bytea not null,
      "signature" bytea not null,
      primary key ("device_pk", "key_id"));`);

    this.addSql(`create table "messaging_envelope" (
      "device_pk" uuid not null references "messaging_device" ("id") on delete cascade deferrable initially deferred,
      "seq" bigint not null,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "sender_user_id" uuid not null references "app_user" ("id") deferrable initially deferred,
      "sender_device_id" smallint not null,
      "type" smallint not null check ("type" in (2, 3)),
      "body" bytea not null,
      "server_timestamp" timestamptz not null,
      primary key ("device_pk", "seq"));`);
    this.addSql(`create index "messaging_envelope_expiry_index" on "messaging_envelope" ("server_timestamp");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "messaging_envelope";`);
    this.addSql(`drop table if exists "messaging_kyber_pre_key";`);
    this.addSql(`drop table if exists "messaging_pre_key";`);
    this.addSql(`drop table if exists "messaging_device";`);
  }
}
