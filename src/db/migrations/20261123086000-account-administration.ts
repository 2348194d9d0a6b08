import { Migration } from '@mikro-orm/migrations';

/** Sessions can also end because an ADMIN disabled the account or reset its second factor. */
export class Migration20261123086000AccountAdministration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "auth_session" drop constraint if exists "auth_session_revoked_reason_check";`);
    this.addSql(`alter table "auth_session" add constraint "auth_session_revoked_reason_check"
      check ("revoked_reason" in ('LOGOUT', 'ROTATED', 'REFRESH_TOKEN_REUSE', 'ACCOUNT_DISABLED', 'SECOND_FACTOR_RESET'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth_session" drop constraint if exists "auth_session_revoked_reason_check";`);
    this.addSql(`alter table "auth_session" add constraint "auth_session_revoked_reason_check"
      check ("revoked_reason" in ('LOGOUT', 'ROTATED', 'REFRESH_TOKEN_REUSE'));`);
  }
}
