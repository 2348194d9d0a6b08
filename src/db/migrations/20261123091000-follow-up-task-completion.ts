import { Migration } from '@mikro-orm/migrations';

/**
 * Follow-up tasks become readable and completable: each carries the data category of what created
 * it (for the access check, like an alert's), and who completed it, when, and an optional note
 * (clinical free text, stored encrypted). Existing tasks take their alert's category; a task without
 * an alert takes its scheduled rule's (CARE_TEAM) or its trigger's first kind's.
 */
export class Migration20261123091000FollowUpTaskCompletion extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "follow_up_task"
      add column "category" varchar(40) null,
      add column "completed_at" timestamptz null,
      add column "completed_by" uuid null,
      add column "completion_note" text null;`);
    this.addSql(`update "follow_up_task" t set "category" = a."category" from "alert" a where a."id" = t."alert_id";`);
    this.addSql(`update "follow_up_task" t set "category" = case v."definition"->'trigger'->'kinds'->>0
        when 'MOOD' then 'MENTAL_HEALTH' when 'SCREENING' then 'MENTAL_HEALTH' when 'FEEDING' then 'FEEDING'
        when 'SLEEP' then 'MATERNAL' when 'VITALS' then 'MATERNAL' when 'SYMPTOMS' then 'MATERNAL' when 'INFANT_VITALS' then 'INFANT'
        else 'CARE_TEAM' end
      from "protocol_version" v where v."id" = t."protocol_version_id" and t."category" is null;`);
    this.addSql(`update "follow_up_task" set "category" = 'CARE_TEAM' where "category" is null;`);
    this.addSql(`alter table "follow_up_task" alter column "category" set not null;`);
    this.addSql(`create index "follow_up_task_due_index" on "follow_up_task" ("tenant_id", "status", "due_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "follow_up_task_due_index";`);
    this.addSql(`alter table "follow_up_task" drop column "category", drop column "completed_at", drop column "completed_by", drop column "completion_note";`);
  }
}
