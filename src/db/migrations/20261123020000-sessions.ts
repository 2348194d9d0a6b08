import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions behind access tokens (refresh-token rotation, logout, idle and absolute expiry) and the
 * failed-login counters behind lockout. Refresh tokens are stored only as SHA-256 hashes.
 */
export class Migration20261123020000Sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth_session" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "user_id" uuid not null references "app_user" ("id") deferrable initially deferred,
      "family_id" uuid not null,
      "parent_id" uuid null references "auth_session" ("id") deferrable initially deferred,
      "refresh_token_hash" varchar(64) not null,
      "refreshed_at" timestamptz null,
      "created_at" timestamptz not null,
      "last_seen_at" timestamptz not null,
      "idle_expires_at" timestamptz not null,
      "absolute_expires_at" timestamptz not null,
      "revoked_at" timestamptz null,
      "revoked_reason" text null check ("revoked_reason" in ('LOGOUT', 'ROTATED', 'REFRESH_TOKEN_REUSE')),
      constraint "auth_session_refresh_token_hash_unique" unique ("refresh_token_hash"));`);
    this.addSql(`create index "auth_session_family_id_index" on "auth_session" ("family_id") where "revoked_at" is null;`);
    this.addSql(`create index "auth_session_user_id_index" on "auth_session" ("user_id");`);

    this.addSql(`create table "login_throttle" (
      "key" varchar(100) primary key,
      "failures" int not null,
      "window_started_at" timestamptz not null,
      "lockouts" int not null,
      "locked_until" timestamptz null);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_throttle";`);
    this.addSql(`drop table if exists "auth_session";`);
  }
}
