import { Migration } from '@mikro-orm/migrations';

/**
 * Clinical records are deleted softly: a status update keeps its row (for the retention period,
 * `src/status/clinical-retention.ts`) with who deleted it, when and why (a reason code). The three
 * columns are set together or not at all; the application hides deleted rows from every read.
 */
export class Migration20261203100100StatusUpdateSoftDelete extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "status_update"
      add column "deleted_at" timestamptz null,
      add column "deleted_by" uuid null references "app_user" ("id") deferrable initially deferred,
      add column "deletion_reason" text null check ("deletion_reason" in ('ENTERED_IN_ERROR', 'WRONG_PATIENT', 'DUPLICATE', 'PATIENT_REQUEST')),
      add constraint "status_update_deletion_complete" check (
        ("deleted_at" is null) = ("deleted_by" is null) and ("deleted_at" is null) = ("deletion_reason" is null));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "status_update" drop constraint if exists "status_update_deletion_complete",
      drop column "deletion_reason", drop column "deleted_by", drop column "deleted_at";`);
  }
}
