import { Migration } from '@mikro-orm/migrations';

/**
 * The default model of which data categories each role may read, as rows: the model Cradle ships,
 * installed for every existing tenant and, by trigger, for every tenant created later (whatever
 * creates it: the CLI, the demo seed, tests). The rows are the tenant's own from then on.
 */
const DEFAULT_MODEL: ReadonlyArray<readonly [role: string, categories: readonly string[]]> = [
  ['PRIMARY_CARE_PROVIDER', ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM']],
  ['MIDWIFE', ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM']],
  ['CARE_COORDINATOR', ['IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM']],
  ['MENTAL_HEALTH_SPECIALIST', ['IDENTITY', 'CONTACT', 'MENTAL_HEALTH', 'MATERNAL', 'CARE_TEAM']],
  ['LACTATION_CONSULTANT', ['IDENTITY', 'CONTACT', 'FEEDING', 'INFANT', 'CARE_TEAM']],
  ['ADMIN', ['IDENTITY', 'CARE_TEAM']],
];

const VALUES = DEFAULT_MODEL.flatMap(([role, categories]) => categories.map((c) => `('${role}', '${c}')`)).join(', ');

export class Migration20261123085000RolePermissions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "role_data_category" (
      "tenant_id" uuid not null references "tenant" ("id") deferrable initially deferred,
      "role" text not null check ("role" in ('PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR', 'ADMIN')),
      "category" text not null check ("category" in ('IDENTITY', 'CONTACT', 'MATERNAL', 'MENTAL_HEALTH', 'FEEDING', 'INFANT', 'CARE_TEAM')),
      "granted_at" timestamptz not null default now(),
      "granted_by" uuid null references "app_user" ("id") deferrable initially deferred,
      -- An administrator never reads clinical data through this table.
      constraint "role_data_category_admin_non_clinical" check ("role" <> 'ADMIN' or "category" in ('IDENTITY', 'CONTACT', 'CARE_TEAM')),
      primary key ("tenant_id", "role", "category"));`);
    this.addSql(`insert into "role_data_category" ("tenant_id", "role", "category")
      select t."id", d."role", d."category" from "tenant" t cross join (values ${VALUES}) as d("role", "category");`);
    this.addSql(`create function "cradle_install_role_permissions"() returns trigger language plpgsql as $$
      begin
        insert into "role_data_category" ("tenant_id", "role", "category")
          select new."id", d."role", d."category" from (values ${VALUES}) as d("role", "category");
        return new;
      end $$;`);
    this.addSql(`create trigger "tenant_install_role_permissions" after insert on "tenant"
      for each row execute function "cradle_install_role_permissions"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "tenant_install_role_permissions" on "tenant";`);
    this.addSql(`drop function if exists "cradle_install_role_permissions"();`);
    this.addSql(`drop table if exists "role_data_category";`);
  }
}
