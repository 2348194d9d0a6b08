import { Migration } from '@mikro-orm/migrations';
import { APP_DATABASE_ROLE, TENANT_SETTING } from '../tenant-scope.js';

/**
 * The second tenant wall: PostgreSQL row-level security under the application's own checks.
 *
 * Requests run as the non-superuser role `cradle_app` with `cradle.tenant_id` set to the caller's
 * tenant (see `tenant-scope.ts`). Every table with a `tenant_id` column (and `tenant` itself, by
 * `id`) gets RLS and a policy letting `cradle_app` see and write only rows of the tenant in the
 * setting. Tables without a tenant get RLS too: recovery-code hashes follow their user (whose row
 * the policy of `app_user` already confines), every other table without a tenant (sign-in throttling,
 * re-encryption progress) gets no policy, so requests never see it. The row-level-security test lists them, reviewed. System paths that must cross tenants
 * (the outbox relay, workers, sign-in lookups, the CLI, migrations) run as the owning role, which
 * RLS does not restrict.
 *
 * The role is cluster-wide; creating it tolerates another database (a parallel test run) having
 * created it at the same moment. Later migrations call {@link tenantIsolationSql} for their tables.
 */
export class Migration20261123090000RowLevelSecurity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$ begin
      if not exists (select 1 from pg_roles where rolname = '${APP_DATABASE_ROLE}') then
        begin
          create role ${APP_DATABASE_ROLE} nologin nosuperuser nobypassrls;
        exception when duplicate_object or unique_violation then null;
        end;
      end if;
      -- The connecting role must be able to switch to it (a superuser already can).
      if not pg_has_role(current_user, '${APP_DATABASE_ROLE}', 'MEMBER') then
        execute format('grant ${APP_DATABASE_ROLE} to %I', current_user);
      end if;
    end $$;`);
    this.addSql(`grant usage on schema public to ${APP_DATABASE_ROLE};`);
    this.addSql(`grant select, insert, update, delete on all tables in schema public to ${APP_DATABASE_ROLE};`);
    this.addSql(`grant usage, select on all sequences in schema public to ${APP_DATABASE_ROLE};`);
    this.addSql(`revoke all on "mikro_orm_migrations" from ${APP_DATABASE_ROLE};`);
    // Tables later migrations create get the same privileges; their policies come from tenantIsolationSql.
    this.addSql(`alter default privileges in schema public grant select, insert, update, delete on tables to ${APP_DATABASE_ROLE};`);
    this.addSql(`alter default privileges in schema public grant usage, select on sequences to ${APP_DATABASE_ROLE};`);
    this.addSql(`do $$ declare t record; begin
      for t in select distinct k.table_name as relname from information_schema.columns k
               join information_schema.tables b on b.table_schema = k.table_schema and b.table_name = k.table_name
               where k.table_schema = 'public' and k.column_name = 'tenant_id' and b.table_type = 'BASE TABLE' loop
        execute format('alter table %I enable row level security', t.relname);
        execute format('drop policy if exists tenant_isolation on %I', t.relname);
        execute format($p$create policy tenant_isolation on %I to ${APP_DATABASE_ROLE}
          using (tenant_id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid)
          with check (tenant_id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid)$p$, t.relname);
      end loop;
    end $$;`);
    this.addSql(`alter table "tenant" enable row level security;`);
    // Tables without a tenant: recovery-code hashes follow their user's tenant; sign-in throttling
    // has no policy at all, so requests never see it (only the sign-in path, as the owner, does).
    this.addSql(`alter table "totp_recovery_code" enable row level security;`);
    this.addSql(`create policy tenant_isolation on "totp_recovery_code" to ${APP_DATABASE_ROLE}
      using ("user_id" in (select "id" from "app_user")) with check ("user_id" in (select "id" from "app_user"));`);
    // Every other table too (deny by default): one without a policy is invisible to requests.
    this.addSql(`do $$ declare t record; begin
      for t in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'mikro_orm_migrations' loop
        execute format('alter table %I enable row level security', t.relname);
      end loop;
    end $$;`);
    this.addSql(`drop policy if exists tenant_isolation on "tenant";`);
    this.addSql(`create policy tenant_isolation on "tenant" to ${APP_DATABASE_ROLE}
      using (id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid)
      with check (id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid);`);
  }

  override async down(): Promise<void> {
    this.addSql(`do $$ declare t record; begin
      for t in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'mikro_orm_migrations' loop
        execute format('drop policy if exists tenant_isolation on %I', t.relname);
        execute format('alter table %I disable row level security', t.relname);
      end loop;
    end $$;`);
    this.addSql(`alter default privileges in schema public revoke all on tables from ${APP_DATABASE_ROLE};`);
    this.addSql(`alter default privileges in schema public revoke all on sequences from ${APP_DATABASE_ROLE};`);
    this.addSql(`revoke all on all tables in schema public from ${APP_DATABASE_ROLE};`);
    this.addSql(`revoke all on all sequences in schema public from ${APP_DATABASE_ROLE};`);
    this.addSql(`revoke usage on schema public from ${APP_DATABASE_ROLE};`);
  }
}

/**
 * SQL that puts a table created by a later migration behind the tenant wall: RLS on, and (for a
 * table with `tenant_id`) the isolation policy. Privileges come from the default privileges above.
 */
export function tenantIsolationSql(table: string, options: { hasTenantId: boolean } = { hasTenantId: true }): string[] {
  const statements = [`alter table "${table}" enable row level security;`];
  if (options.hasTenantId) {
    statements.push(`create policy tenant_isolation on "${table}" to ${APP_DATABASE_ROLE}
      using (tenant_id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid)
      with check (tenant_id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid);`);
  }
  return statements;
}
