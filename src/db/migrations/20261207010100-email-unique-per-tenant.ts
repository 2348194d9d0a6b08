import { Migration } from '@mikro-orm/migrations';

/**
 * E-mail addresses become unique per tenant instead of across the installation: an installation-wide
 * index let one tenant's ADMIN learn, from a CONFLICT, that an address had an account in another
 * tenant. The blind index is unique with the tenant (rows from before encryption, without one,
 * are checked by address in the tenant when an account is created). Sign-in still takes only an
 * address and a password; it tries each account with the address (see `verifyCredentials`).
 */
export class Migration20261207010100EmailUniquePerTenant extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create unique index "app_user_tenant_email_index_unique" on "app_user" ("tenant_id", "email_index");`);
    this.addSql(`drop index "app_user_email_index_unique";`);
    this.addSql(`create index "app_user_email_index_index" on "app_user" ("email_index");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "app_user_email_index_index";`);
    this.addSql(`create unique index "app_user_email_index_unique" on "app_user" ("email_index");`);
    this.addSql(`drop index "app_user_tenant_email_index_unique";`);
  }
}
